import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';

export interface ManagedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** The last lines it wrote, for error messages. */
  output(): string;
}

/**
 * Every process the drill starts, so that all of them are stopped on success, on failure and on Ctrl-C.
 */
export class ProcessGroup {
  private readonly processes: ManagedProcess[] = [];
  private readonly stopHooks: Array<() => Promise<void>> = [];

  start(name: string, command: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): ManagedProcess {
    // A signing key in the drill's own environment stays there: the demo is the watched service.
    const { HEAPWATCH_PRIVATE_KEY: _signingKey, ...inherited } = process.env;
    const child = spawn(command, args, {
      env: { ...inherited, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    const remember = (chunk: Buffer) => {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      if (lines.length > 40) lines.splice(0, lines.length - 40);
    };
    child.stdout?.on('data', remember);
    child.stderr?.on('data', remember);
    const managed = { name, child, output: () => lines.join('\n') };
    this.processes.push(managed);
    return managed;
  }

  /** Something else to stop with the group (e.g. a server started by a library). */
  onStop(stop: () => Promise<void>): void {
    this.stopHooks.push(stop);
  }

  /** Runs the stop hooks, SIGTERMs every process still running and SIGKILLs what has not exited after the grace period. */
  async stopAll(graceMs = 5_000): Promise<void> {
    const hooks = this.stopHooks.splice(0);
    await Promise.allSettled(hooks.map((stop) => stop()));
    const running = this.processes.filter((p) => p.child.exitCode === null && p.child.signalCode === null);
    await Promise.all(
      running.map(async ({ child }) => {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }),
    );
  }
}
