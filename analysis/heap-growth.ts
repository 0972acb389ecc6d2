import type { AnalyzedSnapshot, FullyAnalyzedSnapshot } from './analyzed-snapshot';
import { STORAGE_KINDS, type StorageKind, storageKindReader } from './heap-breakdown';
import type { HoldersSinceFirst } from './holders';
import { type HeapValues, retainerExpression, shortestRetainerPath } from './retainer-path';

/** How the whole reachable heap grew across the snapshots, whatever groups of objects explain it. */
export interface HeapGrowth {
  /** Reachable heap bytes per snapshot, oldest first. */
  readonly totals: readonly number[];
  /** Growth per interval that counts as more than noise: the larger of `minGrowthBytes` and 1 % of the first heap. */
  readonly noiseBytes: number;
  /** The heap grew by more than the noise in every interval (2 snapshots: in their one interval). */
  readonly growsInEveryInterval: boolean;
  /**
   * The heap grew by more than the noise per interval overall and no interval shrank by more than the noise: what a
   * structure that grows by doubling its capacity (arrays, Maps) shows when one interval had no reallocation.
   */
  readonly grewOverall: boolean;
  /** Storage kinds that grew from the first snapshot to the last, most first. */
  readonly byKind: readonly { readonly kind: StorageKind; readonly delta: number }[];
  /** The long-lived object whose new storage of the most grown kind is largest: where that growth is held. */
  readonly holder?: { readonly path: string; readonly kind: StorageKind; readonly bytes: number };
}

/** Share of the first heap below which an interval's growth is noise (in-flight requests, caches settling). */
const NOISE_SHARE = 0.01;

export function measureHeapGrowth(
  all: readonly AnalyzedSnapshot[],
  last: FullyAnalyzedSnapshot,
  holders: HoldersSinceFirst,
  distance: Uint32Array,
  minGrowthBytes: number,
  values: HeapValues,
): HeapGrowth {
  const totals = all.map((snapshot) => snapshot.totalSize);
  const noiseBytes = Math.max(minGrowthBytes, NOISE_SHARE * totals[0]);
  const steps = totals.slice(1).map((total, index) => total - totals[index]);
  const growsInEveryInterval = steps.every((step) => step > noiseBytes);
  const grewOverall =
    totals[totals.length - 1] - totals[0] > noiseBytes * steps.length && steps.every((step) => step > -noiseBytes);
  const first = all[0].breakdown;
  const latest = last.breakdown;
  const byKind = STORAGE_KINDS.map((kind) => ({ kind, delta: latest[kind] - first[kind] }))
    .filter((growth) => growth.delta > 0)
    .sort((a, b) => b.delta - a.delta);
  const top = byKind[0]?.kind;
  const holder = top === undefined ? undefined : largestNewStorage(last, holders, distance, top, values);
  return { totals, noiseBytes, growsInEveryInterval, grewOverall, byKind, holder };
}

/**
 * New nodes (not in the first snapshot) of one storage kind, summed by their holder: the nearest dominator that
 * existed at the first snapshot. A `number[]` that grew was reallocated, so its new backing store is held by the
 * array; the array's path names it. Embedder nodes (even ids, not stable between snapshots) are left out.
 */
function largestNewStorage(
  last: FullyAnalyzedSnapshot,
  { isOld, holder }: HoldersSinceFirst,
  distance: Uint32Array,
  kind: StorageKind,
  values: HeapValues,
): HeapGrowth['holder'] {
  const { preorder, ids, selfSizes, snapshot, graph } = last;
  const root = graph.rootNode;
  const kindOf = storageKindReader(snapshot);
  const bytesByHolder = new Map<number, number>();
  for (let i = 1; i < preorder.length; i++) {
    const node = preorder[i];
    if (isOld[node] || ids[node] % 2 === 0 || kindOf(node) !== kind) continue;
    bytesByHolder.set(holder[node], (bytesByHolder.get(holder[node]) ?? 0) + selfSizes[node]);
  }
  let best: number | undefined;
  for (const [node, bytes] of bytesByHolder) {
    if (best === undefined || bytes > (bytesByHolder.get(best) ?? 0)) best = node;
  }
  if (best === undefined || best === root) return undefined;
  const hops = shortestRetainerPath(snapshot, graph, distance, best);
  const path = retainerExpression(snapshot, graph, distance, hops, values);
  return { path, kind, bytes: bytesByHolder.get(best) ?? 0 };
}
