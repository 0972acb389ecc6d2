import { formatBytes } from './format-bytes';
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
): VerdictResult {
  const growing = suspects.filter((suspect) => suspect.retainedDelta >= minGrowthBytes && suspect.countDelta > 0);
  const steady = growing.filter((suspect) => suspect.growsInEveryInterval);
  const threshold = formatBytes(minGrowthBytes);
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
