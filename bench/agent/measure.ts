import { type ChildProcess, fork } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';

export const MiB = 2 ** 20;

export interface ForkedChild<Ready> {
  readonly child: ChildProcess;
  readonly ready: Ready;
  stop(): Promise<void>;
}

/** Forks a bench child through the tsx loader (one process, so its pid is the one whose RSS we read). */
export async function forkChild<Ready>(
  script: string,
  env: Record<string, string>,
  nodeArgs: readonly string[] = [],
): Promise<ForkedChild<Ready>> {
  const child = fork(join(__dirname, script), [], {
    execArgv: [...nodeArgs, '--import', 'tsx'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<Ready>((resolve, reject) => {
    child.once('message', (message) => resolve(message as Ready));
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  return {
    child,
    ready,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Asks a child over IPC and waits for the answer of the same type. */
export function ask<Answer>(child: ChildProcess, type: string): Promise<Answer> {
  return new Promise((resolve) => {
    const onMessage = (message: { type: string }) => {
      if (message.type !== type) return;
      child.off('message', onMessage);
      resolve(message as Answer);
    };
    child.on('message', onMessage);
    child.send({ type });
  });
}

/** VmRSS and VmHWM (peak RSS) of a process, in bytes. */
export function memoryOf(pid: number): { rss: number; peakRss: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? Number.NaN) * 1024;
  return { rss: kib('VmRSS'), peakRss: kib('VmHWM') };
}

/** Resets VmHWM to the current RSS (Linux clear_refs "5"), so the next peak belongs to the next operation. */
export function resetPeakRss(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Sends a request and reads the whole answer, discarding it; wall time to the headers and to the last byte. */
export function download(
  url: string,
  headers: Record<string, string>,
  method = 'POST',
): Promise<{ status: number; bytes: number; ms: number; headersMs: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      const headersMs = performance.now() - started;
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
      });
      res.on('end', () => resolve({ status: res.statusCode!, bytes, ms: performance.now() - started, headersMs }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

export const mb = (bytes: number) => `${(bytes / MiB).toFixed(0)} MB`;
export const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** CPU time all threads of a process have run so far, in ms with ns resolution (sum of each thread's /proc/<pid>/task/<tid>/schedstat). */
export function cpuRunMsOf(pid: number): number {
  let nanoseconds = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      nanoseconds += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread ended between listing and reading; its time is lost either way
    }
  }
  return nanoseconds / 1e6;
}
