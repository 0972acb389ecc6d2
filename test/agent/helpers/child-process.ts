import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const REPO_ROOT = join(__dirname, '..', '..', '..');

export interface TsxChild {
  readonly process: ChildProcess;
  /** The first JSON line the child printed on stdout (its URLs). */
  readonly ready: Record<string, string>;
  readonly output: () => string;
  /** SIGTERM, then SIGKILL after 5 s; resolves with the exit code (null when killed by a signal). */
  stop(): Promise<number | null>;
}

/** Runs a TypeScript file in its own node process (tsx loader, one process so its pid is the service's). */
export function startTsxChild(
  script: string,
  env: Record<string, string>,
  nodeArgs: readonly string[] = [],
): Promise<TsxChild> {
  return startNodeChild(join(REPO_ROOT, script), { cwd: REPO_ROOT, env, nodeArgs: [...nodeArgs, '--import', 'tsx'] });
}

export interface NodeChildOptions {
  readonly cwd: string;
  readonly env: Record<string, string>;
  readonly nodeArgs?: readonly string[];
  /** @default process.env */
  readonly baseEnv?: NodeJS.ProcessEnv;
}

/** Runs a script in its own node process; resolves with the first JSON line it prints on stdout. */
export async function startNodeChild(script: string, options: NodeChildOptions): Promise<TsxChild> {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), script], {
    cwd: options.cwd,
    env: { ...(options.baseEnv ?? process.env), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const lines = createInterface({ input: child.stdout! });
  const ready = await new Promise<Record<string, string>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start in 20 s:\n${output}`)), 20_000);
    lines.on('line', (line) => {
      output += `${line}\n`;
      if (line.startsWith('{')) {
        clearTimeout(timer);
        resolve(JSON.parse(line) as Record<string, string>);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code} before it was ready:\n${output}`));
    });
  }).catch((error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  });
  return {
    process: child,
    ready,
    output: () => output,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      const [code] = (await exited) as [number | null];
      clearTimeout(killer);
      return code;
    },
  };
}
