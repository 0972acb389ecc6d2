import { formatBytes } from './format-bytes';
import { STORAGE_KIND_PHRASES } from './heap-breakdown';
import type { HeapGrowth } from './heap-growth';
import type { Suspect, Verdict } from './report';

export interface VerdictResult {
  readonly verdict: Verdict;
  readonly reasoning: string;
}

function describe(suspect: Suspect): string {
  return (
    `${suspect.name} held by ${suspect.holder.path} went ${suspect.counts.join(' → ')} objects ` +
    `(retained size up ${formatBytes(suspect.retainedDelta)} since the first snapshot, now ${formatBytes(suspect.retainedSize)})`
  );
}

/**
 * Calls it a leak only when a group grew in every interval of 3+ snapshots: a cache warming up grows once then
 * stays flat, and a bounded cache that churns keeps a flat count however many objects it replaces.
 */
export function decideVerdict(
  suspects: readonly Suspect[],
  snapshotCount: number,
  minGrowthBytes: number,
  heap?: HeapGrowth,
): VerdictResult {
  const growing = suspects.filter((suspect) => suspect.retainedDelta >= minGrowthBytes && suspect.countDelta > 0);
  const steady = growing.filter((suspect) => suspect.growsInEveryInterval);
  const threshold = formatBytes(minGrowthBytes);
  if (growing.length === 0 && (heap?.growsInEveryInterval || heap?.grewOverall)) {
    // The heap grew, but not by more objects: bigger backing stores, unboxed numbers, longer strings, code, off-heap.
    return { verdict: 'inconclusive', reasoning: describeUnexplainedGrowth(heap) };
  }
  if (growing.length === 0) {
    return {
      verdict: 'no-leak',
      reasoning:
        `No group of objects (class × holder) grew by ${threshold} or more between the first and the last snapshot; ` +
        'objects allocated in between were freed or replaced others (a bounded cache churning, for instance).',
    };
  }
  if (snapshotCount < 3) {
    return {
      verdict: 'inconclusive',
      reasoning:
        `${growing.length} group(s) grew between the two snapshots, most: ${describe(growing[0])}. ` +
        'With one interval a leak cannot be told from a cache warming up: take a third snapshot a few minutes later ' +
        'and diff all three.',
    };
  }
  if (steady.length > 0) {
    const others = steady.length > 1 ? ` ${steady.length - 1} more group(s) grew steadily too.` : '';
    return {
      verdict: 'leak',
      reasoning: `${describe(steady[0])}, growing in every interval between ${snapshotCount} snapshots.${others}`,
    };
  }
  return {
    verdict: 'inconclusive',
    reasoning:
      `${growing.length} group(s) grew overall but not in every interval (most: ${describe(growing[0])}): ` +
      'this looks like a cache warming up or load-dependent memory, not steady accumulation. ' +
      'Take another snapshot later under the same load.',
  };
}

/** Where the heap grew when no group of objects explains it, and what holds the largest part. */
function describeUnexplainedGrowth(heap: HeapGrowth): string {
  const largest = heap.byKind[0]?.delta ?? 0;
  const where = heap.byKind
    .filter(({ delta }) => delta >= Math.max(4096, largest / 20))
    .slice(0, 3)
    .map(({ kind, delta }) => `${STORAGE_KIND_PHRASES[kind]} +${formatBytes(delta)}`)
    .join('; ');
  const holder = heap.holder
    ? ` The largest new ${heap.holder.kind === 'numbers' ? 'number storage' : heap.holder.kind} (${formatBytes(heap.holder.bytes)}) is held by ${heap.holder.path}: look there first.`
    : '';
  const how = heap.growsInEveryInterval
    ? `in every interval (${heap.totals.map(formatBytes).join(' → ')}, each step more than the ${formatBytes(heap.noiseBytes)} of noise)`
    : `overall without shrinking (${heap.totals.map(formatBytes).join(' → ')}; storage that doubles its capacity grows in steps)`;
  return (
    `The heap grew ${how}, but no group of objects grew with it: the growth is in storage that has no object ` +
    `per entry. Where: ${where}.${holder}`
  );
}
