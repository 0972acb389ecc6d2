import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { SnapshotThreads, snapshotsAtOnce, snapshotThreadsAvailable, type ThreadOptions } from './analysis-threads';
import {
  type AnalyzedSnapshot,
  analyzeSnapshot,
  type FullyAnalyzedSnapshot,
  summarizeSnapshot,
} from './analyzed-snapshot';
import { ClassTable } from './class-table';
import { collectGarbage } from './collect-garbage';
import { type ParseOptions, type ParseProgress, parseSnapshotFile } from './parse-snapshot';
import { assertSameProcess } from './same-process';
import { adoptSnapshot, type TransferredSnapshot, unpackSnapshot } from './snapshot-transfer';

/** The snapshots of one diff, analysed: the earlier ones summarised, the last whole (its graph gives retainer paths). */
export interface AnalyzedSeries {
  readonly earlier: readonly AnalyzedSnapshot[];
  readonly last: FullyAnalyzedSnapshot;
}

export interface SeriesAnalysisOptions extends ThreadOptions {
  readonly onProgress?: (event: ParseProgress) => void;
}

/**
 * Analyses the snapshots of a diff, oldest first, with class ids from `classes` as if they had been analysed in file
 * order. Earlier snapshots run in threads of their own while this thread analyses the last, as many at once as the
 * threads and the memory budget allow; otherwise one after another, with only summaries kept of the earlier ones.
 */
export async function analyzeSeries(
  paths: readonly string[],
  classes: ClassTable,
  options: SeriesAnalysisOptions = {},
): Promise<AnalyzedSeries> {
  checkThreadOptions(options);
  const threads = options.threads ?? availableParallelism();
  const atOnce = snapshotsAtOnce(paths.map(fileBytes), { ...options, threads });
  // The snapshots parsed on this thread get a second one for their edge array (it needs no extra memory).
  const parse: ParseOptions = { onProgress: options.onProgress, threads };
  const series =
    atOnce > 1 && snapshotThreadsAvailable()
      ? await analyzeAtOnce(paths, classes, atOnce, parse)
      : await analyzeInTurn(paths, classes, parse);
  const all = [...series.earlier, series.last];
  for (let i = 1; i < all.length; i++) assertSameProcess(all[i - 1], all[i]);
  return series;
}

function checkThreadOptions({ threads, memoryBudgetBytes }: ThreadOptions): void {
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1)) {
    throw new Error(`threads must be a whole number of at least 1, got ${threads}`);
  }
  if (memoryBudgetBytes !== undefined && !(memoryBudgetBytes > 0)) {
    throw new Error(`memoryBudgetBytes must be a number of bytes above 0, got ${memoryBudgetBytes}`);
  }
  if (threads !== undefined && threads > 1 && !snapshotThreadsAvailable()) {
    throw new Error(
      `threads: ${threads} were asked for, but snapshot-worker.js, the threads' entry, is not beside the analysis ` +
        `in ${__dirname}; reinstall heapwatch, or ship analysis/snapshot-worker.ts bundled beside your bundle`,
    );
  }
}

/** 0 for a file that cannot be read: parsing it reports why. */
function fileBytes(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

async function analyzeInTurn(
  paths: readonly string[],
  classes: ClassTable,
  parse: ParseOptions,
): Promise<AnalyzedSeries> {
  const earlier: AnalyzedSnapshot[] = [];
  for (const path of paths.slice(0, -1)) {
    collectGarbage();
    earlier.push(await analyzeEarlierFile(path, classes, parse));
  }
  collectGarbage();
  const last = analyzeSnapshot(await parseSnapshotFile(paths[paths.length - 1], parse), classes);
  return { earlier, last };
}

/** In its own frame, so that no suspended async frame keeps the full snapshot alive after it is compacted. */
async function analyzeEarlierFile(path: string, classes: ClassTable, parse: ParseOptions): Promise<AnalyzedSnapshot> {
  return summarizeSnapshot(await parseSnapshotFile(path, parse), classes);
}

/**
 * Up to `atOnce` snapshots in flight, taken in file order: the earlier ones in threads, then the last on this thread.
 * With fewer slots than snapshots the last waits for one, so the summaries in progress overlap each other rather
 * than the whole last snapshot, which is the largest in memory.
 */
async function analyzeAtOnce(
  paths: readonly string[],
  classes: ClassTable,
  atOnce: number,
  parse: ParseOptions,
): Promise<AnalyzedSeries> {
  const { onProgress } = parse;
  const threads = new SnapshotThreads();
  const slots = new Slots(atOnce);
  let failure: { readonly error: unknown } | undefined;
  const fail = (error: unknown) => {
    failure ??= { error };
    void threads.close();
  };
  const earlier = paths
    .slice(0, -1)
    .map((path) =>
      slots.run(() => (failure ? Promise.resolve(undefined) : threads.analyze(path, onProgress))).catch(fail),
    );
  // Each thread classifies with a table of its own; absorbing them in file order below gives the shared ids.
  const own = new ClassTable();
  const last = await slots
    .run(async () => {
      if (failure) return undefined;
      const snapshot = await parseSnapshotFile(paths[paths.length - 1], parse);
      return failure ? undefined : analyzeSnapshot(snapshot, own);
    })
    .catch(fail);
  const transferred = await Promise.all(earlier);
  await threads.close();
  if (failure) throw failure.error;
  if (!last || transferred.some((message) => message === undefined)) {
    throw new Error('a snapshot of the diff was not analysed');
  }
  return {
    earlier: transferred.map((message) => unpackSnapshot(message as TransferredSnapshot, classes)),
    last: adoptSnapshot(last, own, classes),
  };
}

/** At most `free` tasks at a time, started in the order they were asked for. */
class Slots {
  private readonly waiting: Array<() => void> = [];

  constructor(private free: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }
}
