import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A cgroup v2 memory directory like a Fargate task's, for the demo's agent: `memory.max` is the task's limit and
 * `memory.current` follows the demo's real RSS, refreshed every second. The agent reads these files exactly as it
 * reads the kernel's in a task, so its headroom guard refuses snapshots for the same reasons it would there.
 */
export class SimulatedTaskMemory {
  readonly cgroupRoot: string;
  readonly procSelfCgroup: string;
  private timer?: NodeJS.Timeout;

  constructor(
    dir: string,
    readonly limitBytes: number,
  ) {
    this.cgroupRoot = join(dir, 'cgroup');
    mkdirSync(this.cgroupRoot, { recursive: true });
    this.procSelfCgroup = join(dir, 'proc-self-cgroup');
    writeFileSync(this.procSelfCgroup, '0::/\n');
    writeFileSync(join(this.cgroupRoot, 'memory.max'), `${limitBytes}\n`);
    writeFileSync(join(this.cgroupRoot, 'memory.current'), '0\n');
  }

  /** Keeps `memory.current` at the process's resident memory until stopped. */
  follow(pid: number): void {
    const update = () => {
      const rss = residentBytes(pid);
      if (rss !== undefined) writeFileSync(join(this.cgroupRoot, 'memory.current'), `${rss}\n`);
    };
    update();
    this.timer = setInterval(update, 1000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

function residentBytes(pid: number): number | undefined {
  try {
    const kib = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kib === undefined ? undefined : Number(kib) * 1024;
  } catch {
    return undefined;
  }
}
