import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { TEST_KEYS } from './test-keys';

const READY_PREFIX = 'heapwatch-agent-ready ';

export interface AgentProcess {
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  kill(): Promise<void>;
}

export interface AgentProcessOptions {
  /** What the agent trusts (HEAPWATCH_PUBLIC_KEYS). @default [TEST_KEYS.publicKey] */
  readonly publicKeys?: readonly string[];
  /** More environment variables for the agent's process. @default {} */
  readonly environment?: Readonly<Record<string, string>>;
  readonly taskId: string;
  /** Extra heap to make snapshots bigger (roughly MiB of small objects). @default 0 */
  readonly ballastMiB?: number;
  /** The agent's headroom guard (memory needed per byte of heap); huge values make it refuse. @default - the agent's */
  readonly captureMemoryFactor?: number;
  /** Leak this many `LeakedSession` objects every 20 ms into a never-evicted cache. @default 0 */
  readonly leakPerTick?: number;
  /** The heap sampler's interval; small ones see a small leak within seconds. @default - the agent's */
  readonly heapSamplingIntervalBytes?: number;
}

/** Starts a real agent in its own Node process on 127.0.0.1 and an ephemeral port. */
export async function startAgentProcess(options: AgentProcessOptions): Promise<AgentProcess> {
  // The agent's own spool directory would outlive a SIGKILL; this one is removed by kill().
  const snapshotDir = await mkdtemp(join(tmpdir(), 'heapwatch-test-agent-'));
  const child = spawn(process.execPath, ['--import', 'tsx', require.resolve('./agent-process.ts')], {
    env: {
      ...process.env,
      HEAPWATCH_PUBLIC_KEYS: (options.publicKeys ?? [TEST_KEYS.publicKey]).join(','),
      ...options.environment,
      HEAPWATCH_TASK_ID: options.taskId,
      BALLAST_MIB: String(options.ballastMiB ?? 0),
      SNAPSHOT_DIR: snapshotDir,
      LEAK_PER_TICK: String(options.leakPerTick ?? 0),
      ...(options.captureMemoryFactor ? { CAPTURE_MEMORY_FACTOR: String(options.captureMemoryFactor) } : {}),
      ...(options.heapSamplingIntervalBytes
        ? { HEAPWATCH_HEAP_SAMPLING_INTERVAL: String(options.heapSamplingIntervalBytes) }
        : {}),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    }
    await rm(snapshotDir, { recursive: true, force: true });
  };
  try {
    const lines = createInterface({ input: child.stdout! });
    let port: number | undefined;
    for await (const line of lines) {
      if (line.startsWith(READY_PREFIX)) {
        port = (JSON.parse(line.slice(READY_PREFIX.length)) as { port: number }).port;
        break;
      }
    }
    if (port === undefined) throw new Error('the agent process exited before listening');
    return { url: `http://127.0.0.1:${port}`, port, child, kill };
  } catch (error) {
    await kill();
    throw error;
  }
}
