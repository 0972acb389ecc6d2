import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

export interface AgentProcess {
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  kill(): Promise<void>;
}

export interface AgentProcessOptions {
  readonly secret: string;
  readonly previousSecret?: string;
  readonly taskId: string;
  /** Extra heap to make snapshots bigger (roughly MiB of small objects). @default 0 */
  readonly ballastMiB?: number;
}

/** Starts a real agent in its own Node process on 127.0.0.1 and an ephemeral port. */
export async function startAgentProcess(options: AgentProcessOptions): Promise<AgentProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', require.resolve('./agent-process.ts')], {
    env: {
      ...process.env,
      HEAPWATCH_SECRET: options.secret,
      ...(options.previousSecret ? { HEAPWATCH_SECRET_PREVIOUS: options.previousSecret } : {}),
      HEAPWATCH_TASK_ID: options.taskId,
      BALLAST_MIB: String(options.ballastMiB ?? 0),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    }
  };
  try {
    const lines = createInterface({ input: child.stdout! });
    const [line] = (await Promise.race([
      once(lines, 'line'),
      once(child, 'exit').then(() => {
        throw new Error('the agent process exited before listening');
      }),
    ])) as [string];
    lines.close();
    const { port } = JSON.parse(line) as { port: number };
    return { url: `http://127.0.0.1:${port}`, port, child, kill };
  } catch (error) {
    await kill();
    throw error;
  }
}
