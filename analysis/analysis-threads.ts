import { existsSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { join } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { Worker } from 'node:worker_threads';
import type { EdgesRead } from './edges-reader';
import type { ParseProgress } from './parse-snapshot';
import type { TransferredSnapshot } from './snapshot-transfer';

/** How many threads a diff may use and how much memory the snapshots analysed at once may take. */
export interface ThreadOptions {
  /** Snapshots analysed at once, at most; 1 analyses them one after another. @default os.availableParallelism() */
  readonly threads?: number;
  /**
   * Memory the snapshots analysed at once may take together, in bytes. A series whose snapshots do not fit twice is
   * analysed one snapshot at a time, which needs no more than one snapshot's analysis.
   * @default 3/4 of the memory this process may use (its cgroup limit, else the machine's)
   */
  readonly memoryBudgetBytes?: number;
}

/** Peak memory of analysing one snapshot per byte of its file: bench:analysis measures 1.8–2.1, plus slack. */
export const ANALYSIS_BYTES_PER_FILE_BYTE = 2.5;
/** What the diff keeps of each snapshot per byte of its file (~40 bytes per node; files hold ~80 bytes per node). */
export const SUMMARY_BYTES_PER_FILE_BYTE = 0.5;

export function defaultMemoryBudget(): number {
  const machine = totalmem();
  const constrained = process.constrainedMemory?.() ?? 0;
  return Math.floor((constrained > 0 && constrained < machine ? constrained : machine) * 0.75);
}

/** How many snapshots to analyse at once: no more than the threads, the files, and what the budget holds. */
export function snapshotsAtOnce(fileBytes: readonly number[], options: ThreadOptions = {}): number {
  const threads = Math.floor(options.threads ?? availableParallelism());
  const budget = options.memoryBudgetBytes ?? defaultMemoryBudget();
  const largest = Math.max(0, ...fileBytes);
  if (largest === 0) return 1;
  const summaries = fileBytes.reduce((sum, bytes) => sum + bytes * SUMMARY_BYTES_PER_FILE_BYTE, 0);
  const fit = Math.floor((budget - summaries) / (largest * ANALYSIS_BYTES_PER_FILE_BYTE));
  return Math.max(1, Math.min(threads, fileBytes.length, fit));
}

/**
 * What a snapshot thread is given (its `workerData`): a snapshot to summarise, or with `edges`, the shared memory to
 * read the snapshot's edge array into while the calling thread reads the rest.
 */
export interface SnapshotThreadRequest {
  readonly heapwatchSnapshotThread: true;
  readonly file: string;
  readonly edges?: SharedArrayBuffer;
}

/** What a snapshot thread posts: progress while it reads, then the summary (or the edges read) or why it failed. */
export type SnapshotThreadReply =
  | { readonly progress: ParseProgress }
  | { readonly snapshot: TransferredSnapshot }
  | { readonly edgesRead: EdgesRead | null }
  | { readonly failure: string; readonly outOfMemory: boolean };

interface ThreadEntry {
  readonly file: string;
  readonly execArgv?: string[];
}

/**
 * The thread's entry beside this module: compiled JavaScript in the package and in the bundles (which ship it as
 * `snapshot-worker.js`), TypeScript through tsx when run from this repository's sources. Undefined when neither is
 * there (someone bundled the analysis without it): the diff then runs on one thread.
 */
function threadEntry(): ThreadEntry | undefined {
  if (!entryLookedUp) {
    cachedEntry = lookUpThreadEntry();
    entryLookedUp = true;
  }
  return cachedEntry;
}

/** Looked up once per process: the files beside the module do not change while it runs. */
let cachedEntry: ThreadEntry | undefined;
let entryLookedUp = false;

function lookUpThreadEntry(): ThreadEntry | undefined {
  const compiled = join(__dirname, 'snapshot-worker.js');
  if (existsSync(compiled)) return { file: compiled };
  const source = join(__dirname, 'snapshot-worker.ts');
  if (!existsSync(source)) return undefined;
  try {
    return { file: source, execArgv: ['--require', require.resolve('tsx/cjs')] };
  } catch {
    return undefined;
  }
}

export function snapshotThreadsAvailable(): boolean {
  return threadEntry() !== undefined;
}

/** What went wrong in a thread, naming the file, with what to do when it ran out of memory. */
function threadFailure(file: string, message: string, outOfMemory: boolean): Error {
  const named = message.startsWith(file) ? message : `${file}: ${message}`;
  const advice = outOfMemory
    ? '; the thread ran out of memory: give the diff fewer threads or a smaller memory budget'
    : '';
  return new Error(`${named}${advice}`);
}

/** Whether an error is an allocation failure (an ArrayBuffer, a typed array or the heap). */
export function isOutOfMemory(error: unknown): boolean {
  return error instanceof RangeError && /allocation failed/i.test(error.message);
}

/** Threads that analyse snapshots; `close()` stops the ones still running (after a failure elsewhere). */
export class SnapshotThreads {
  private readonly running = new Set<Worker>();
  private readonly entry = threadEntry();

  /** Analyses one snapshot in a thread of its own; resolves with its summary, in the thread's class ids. */
  analyze(file: string, onProgress?: (event: ParseProgress) => void): Promise<TransferredSnapshot> {
    return this.run({ heapwatchSnapshotThread: true, file }, onProgress).then((reply) => {
      if (!('snapshot' in reply)) throw new Error(`${file}: the thread analysing it gave no summary`);
      return reply.snapshot;
    });
  }

  /** Reads a snapshot's edge array into `edges` in a thread of its own; undefined when it has no `"edges":[`. */
  readEdges(file: string, edges: SharedArrayBuffer): Promise<EdgesRead | undefined> {
    return this.run({ heapwatchSnapshotThread: true, file, edges }).then((reply) => {
      if (!('edgesRead' in reply)) throw new Error(`${file}: the thread reading its edges gave no answer`);
      return reply.edgesRead ?? undefined;
    });
  }

  private run(
    request: SnapshotThreadRequest,
    onProgress?: (event: ParseProgress) => void,
  ): Promise<Exclude<SnapshotThreadReply, { progress: ParseProgress }>> {
    const entry = this.entry;
    const { file } = request;
    if (!entry) return Promise.reject(new Error('the snapshot thread entry (snapshot-worker.js) is missing'));
    return new Promise((resolve, reject) => {
      // The thread's JavaScript heap (the snapshot's strings) may grow as large as this one's.
      const heapLimitMiB = Math.ceil(getHeapStatistics().heap_size_limit / 1024 / 1024);
      const worker = new Worker(entry.file, {
        workerData: request,
        execArgv: entry.execArgv,
        resourceLimits: { maxOldGenerationSizeMb: heapLimitMiB },
      });
      this.running.add(worker);
      let settled = false;
      const settle = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        this.running.delete(worker);
        outcome();
      };
      worker.on('message', (reply: SnapshotThreadReply) => {
        if ('progress' in reply) onProgress?.(reply.progress);
        else if ('failure' in reply) settle(() => reject(threadFailure(file, reply.failure, reply.outOfMemory)));
        else settle(() => resolve(reply));
      });
      worker.on('error', (error: NodeJS.ErrnoException) =>
        settle(() => reject(threadFailure(file, error.message, error.code === 'ERR_WORKER_OUT_OF_MEMORY'))),
      );
      worker.on('messageerror', (error) => settle(() => reject(threadFailure(file, error.message, false))));
      worker.on('exit', (code) =>
        settle(() => reject(threadFailure(file, `the thread analysing it stopped (exit code ${code})`, false))),
      );
    });
  }

  async close(): Promise<void> {
    await Promise.all([...this.running].map((worker) => worker.terminate()));
    this.running.clear();
  }
}
