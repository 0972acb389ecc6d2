import type { ThreadOptions } from './analysis-threads';
import { analyzeSeries } from './analyze-series';
import type { AnalyzedSnapshot, FullyAnalyzedSnapshot } from './analyzed-snapshot';
import { ClassTable } from './class-table';
import { type GroupKey, type GroupMeasure, measureClasses, measureGroups } from './group-measures';
import { measureHeapGrowth } from './heap-growth';
import { holdersSinceFirst } from './holders';
import type { ParseProgress } from './parse-snapshot';
import type { ClassGrowth, DiffReport, HolderGrowth, SnapshotInfo, Suspect } from './report';
import {
  computeDistances,
  describeRetainerPath,
  type HeapValues,
  nodeLabel,
  retainerExpression,
  shortestRetainerPath,
} from './retainer-path';
import { groupSurvivors, type SurvivorGroup } from './survivor-groups';
import { decideVerdict } from './verdict';

export interface DiffOptions extends ThreadOptions {
  /** How many suspects and growing classes to report. @default 10 */
  readonly top?: number;
  /**
   * Growth first → last below which a snapshot group (retained bytes) or a profile's allocation site (live sampled
   * bytes) is not a leak, in bytes. @default 65536
   */
  readonly minGrowthBytes?: number;
  /**
   * Show heap strings (string contents, object keys such as `["user@example.com"]`) in retainer paths and labels.
   * Heap contents are user data: off by default, so reports and notifications carry code names only.
   * @default false
   */
  readonly showValues?: boolean;
  /** Called while each file is read. @default - no progress reporting */
  readonly onProgress?: (event: ParseProgress) => void;
}

/** Groups (class × holder) measured in every snapshot; more than the report shows, so ranking has room. */
const MEASURED_GROUPS = 200;

/**
 * Diffs 2 or 3 snapshots of one process, oldest first: what was allocated after the first and is still alive in the
 * last, grouped by class and holder, measured in every snapshot, ranked, with a verdict. Earlier snapshots are
 * analysed in threads of their own while the budget allows (see analyze-series.ts); only a ~40 bytes/node summary of
 * them stays in memory.
 */
export async function diffSnapshotFiles(paths: string[], options: DiffOptions = {}): Promise<DiffReport> {
  if (paths.length < 2 || paths.length > 3) {
    throw new Error(`diff needs 2 or 3 snapshots of one process, oldest first; got ${paths.length}`);
  }
  const started = Date.now();
  const top = options.top ?? 10;
  const minGrowthBytes = options.minGrowthBytes ?? 64 * 1024;
  const classes = new ClassTable();
  const { earlier, last } = await analyzeSeries(paths, classes, options);
  const all: AnalyzedSnapshot[] = [...earlier, last];
  const holders = holdersSinceFirst(earlier[0], last, last.graph.rootNode);
  const groups = groupSurvivors(holders, earlier.length > 1 ? earlier[1] : undefined, last, classes)
    .sort((a, b) => b.survivorRetained - a.survivorRetained)
    .slice(0, MEASURED_GROUPS);
  const keys: GroupKey[] = groups.map((group) => ({ classId: group.classId, holderId: last.ids[group.holder] }));
  const measures = all.map((snapshot) => measureGroups(snapshot, keys, classes));
  const ranked = groups
    .map((group, index) => ({ group, series: measures.map((perSnapshot) => perSnapshot[index]) }))
    .map(({ group, series }) => ({ group, series, growth: trend(series) }))
    .filter(({ series }) => {
      const latest = series[series.length - 1];
      return latest.count > series[0].count || latest.retained > series[0].retained;
    })
    .sort((a, b) => score(b.growth) - score(a.growth))
    .slice(0, top);
  const distance = computeDistances(last.snapshot, last.graph);
  const values: HeapValues = options.showValues ? 'shown' : 'redacted';
  const suspects = ranked.map(({ group, series, growth }) =>
    toSuspect(last, distance, classes, group, series, growth.everyInterval, values),
  );
  const heapGrowth = measureHeapGrowth(all, last, holders, distance, minGrowthBytes, values);
  const { verdict, reasoning } = decideVerdict(suspects, paths.length, minGrowthBytes, heapGrowth);
  return {
    verdict,
    reasoning,
    suspects,
    classGrowth: classGrowth(all, classes, top),
    holderGrowth: holderGrowth(all, suspects),
    snapshots: all.map(snapshotInfo),
    minGrowthBytes,
    analysisMs: Date.now() - started,
  };
}

interface Trend {
  readonly retainedDelta: number;
  readonly everyInterval: boolean;
}

function trend(series: readonly GroupMeasure[]): Trend {
  let everyInterval = true;
  for (let i = 1; i < series.length; i++) {
    if (!(series[i].count > series[i - 1].count && series[i].retained > series[i - 1].retained)) everyInterval = false;
  }
  return { retainedDelta: series[series.length - 1].retained - series[0].retained, everyInterval };
}

/** Steady growers first, then by retained growth. */
function score(trend: Trend): number {
  return (trend.everyInterval && trend.retainedDelta > 0 ? 1e15 : 0) + trend.retainedDelta;
}

function toSuspect(
  last: FullyAnalyzedSnapshot,
  distance: Uint32Array,
  classes: ClassTable,
  group: SurvivorGroup,
  series: readonly GroupMeasure[],
  everyInterval: boolean,
  values: HeapValues,
): Suspect {
  const { snapshot, graph } = last;
  const hops = shortestRetainerPath(snapshot, graph, distance, group.representative);
  const holderHops = shortestRetainerPath(snapshot, graph, distance, group.holder);
  const first = series[0];
  const latest = series[series.length - 1];
  return {
    name: classes.names[group.classId],
    countDelta: latest.count - first.count,
    sizeDelta: latest.selfSize - first.selfSize,
    retainedSize: latest.retained,
    retainedDelta: latest.retained - first.retained,
    retainerPath: describeRetainerPath(snapshot, hops, group.representative, values),
    path: retainerExpression(snapshot, graph, distance, hops, values),
    holder: {
      name: nodeLabel(snapshot, group.holder, values),
      id: last.ids[group.holder],
      path: retainerExpression(snapshot, graph, distance, holderHops, values),
    },
    counts: series.map((measure) => measure.count),
    selfSizes: series.map((measure) => measure.selfSize),
    retainedSizes: series.map((measure) => measure.retained),
    survivors: group.survivors,
    survivorsSize: group.survivorSelfSize,
    growsInEveryInterval: everyInterval,
  };
}

function classGrowth(all: readonly AnalyzedSnapshot[], classes: ClassTable, top: number): ClassGrowth[] {
  const perSnapshot = all.map((snapshot) => measureClasses(snapshot, classes.names.length));
  const growth = classes.names.map((name, classId) => {
    const counts = perSnapshot.map((measure) => measure.counts[classId]);
    const selfSizes = perSnapshot.map((measure) => measure.sizes[classId]);
    return {
      name,
      counts,
      selfSizes,
      countDelta: counts[counts.length - 1] - counts[0],
      sizeDelta: selfSizes[selfSizes.length - 1] - selfSizes[0],
    };
  });
  return growth.sort((a, b) => b.sizeDelta - a.sizeDelta).slice(0, top);
}

function holderGrowth(all: readonly AnalyzedSnapshot[], suspects: readonly Suspect[]): HolderGrowth[] {
  const holders = new Map(suspects.map((suspect) => [suspect.holder.id, suspect.holder]));
  return [...holders.values()]
    .map((holder) => {
      const retainedSizes = all.map((snapshot) => {
        const node = snapshot.idIndex.find(holder.id);
        return node < 0 ? 0 : snapshot.retained[node];
      });
      return { ...holder, retainedSizes, retainedDelta: retainedSizes[retainedSizes.length - 1] - retainedSizes[0] };
    })
    .sort((a, b) => b.retainedDelta - a.retainedDelta);
}

function snapshotInfo(snapshot: AnalyzedSnapshot): SnapshotInfo {
  return {
    file: snapshot.file,
    fileBytes: snapshot.fileBytes,
    nodeCount: snapshot.nodeCount,
    edgeCount: snapshot.edgeCount,
    heapBytes: snapshot.totalSize,
    breakdown: snapshot.breakdown,
  };
}
