import { statSync } from 'node:fs';
import { SnapshotThreads, snapshotsAtOnce, snapshotThreadsAvailable, type ThreadOptions } from './analysis-threads';
import { type AnalyzedSnapshot, analyzeSnapshot, compact, type FullyAnalyzedSnapshot } from './analyzed-snapshot';
import { ClassTable } from './class-table';
import { collectGarbage } from './collect-garbage';
import { type ParseProgress, parseSnapshotFile } from './parse-snapshot';
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
  const atOnce = snapshotsAtOnce(paths.map(fileBytes), options);
  const series =
    atOnce > 1 && snapshotThreadsAvailable()
      ? await analyzeAtOnce(paths, classes, atOnce, options.onProgress)
      : await analyzeInTurn(paths, classes, options.onProgress);
  const all = [...series.earlier, series.last];
  for (let i = 1; i < all.length; i++) assertSameProcess(all[i - 1], all[i]);
  return series;
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
  onProgress: SeriesAnalysisOptions['onProgress'],
): Promise<AnalyzedSeries> {
  const earlier: AnalyzedSnapshot[] = [];
  for (const path of paths.slice(0, -1)) {
    collectGarbage();
    earlier.push(await analyzeEarlierFile(path, classes, onProgress));
  }
  collectGarbage();
  const last = analyzeSnapshot(await parseSnapshotFile(paths[paths.length - 1], { onProgress }), classes);
  return { earlier, last };
}

/** In its own frame, so that no suspended async frame keeps the full snapshot alive after it is compacted. */
async function analyzeEarlierFile(
  path: string,
  classes: ClassTable,
  onProgress: SeriesAnalysisOptions['onProgress'],
): Promise<AnalyzedSnapshot> {
  return compact(analyzeSnapshot(await parseSnapshotFile(path, { onProgress }), classes));
}

async function analyzeAtOnce(
  paths: readonly string[],
  classes: ClassTable,
  atOnce: number,
  onProgress: SeriesAnalysisOptions['onProgress'],
): Promise<AnalyzedSeries> {
  const threads = new SnapshotThreads();
  const earlierPaths = paths.slice(0, -1);
  const transferred: TransferredSnapshot[] = [];
  let failure: { readonly error: unknown } | undefined;
  const fail = (error: unknown) => {
    failure ??= { error };
    void threads.close();
  };
  let next = 0;
  const runThread = async () => {
    while (next < earlierPaths.length && !failure) {
      const index = next++;
      transferred[index] = await threads.analyze(earlierPaths[index], onProgress);
    }
  };
  const runners = Array.from({ length: Math.min(atOnce - 1, earlierPaths.length) }, () => runThread().catch(fail));
  // Each thread classifies with a table of its own; absorbing them in file order below gives the shared ids.
  const own = new ClassTable();
  const last = await parseSnapshotFile(paths[paths.length - 1], { onProgress })
    .then((snapshot) => analyzeSnapshot(snapshot, own))
    .catch((error: unknown) => {
      fail(error);
      return undefined;
    });
  await Promise.all(runners);
  await threads.close();
  if (failure) throw failure.error;
  if (!last || transferred.length !== earlierPaths.length) throw new Error('a snapshot of the diff was not analysed');
  const earlier = transferred.map((message) => unpackSnapshot(message, classes));
  return { earlier, last: adoptSnapshot(last, own, classes) };
}
