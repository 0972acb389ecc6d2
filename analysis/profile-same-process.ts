import type { HeapProfile } from './heap-profile';

/**
 * Samples carry an ordinal that one process numbers upwards and never reuses, and a sample alive in two reads of one
 * process keeps its size and stack. A profile of another process (or of the same task after a restart) reuses the
 * ordinals for other allocations. Refuses such pairs, and pairs given newest first.
 */
export function assertSameProfileProcess(earlier: HeapProfile, later: HeapProfile): void {
  const fix = 'pass 2 or 3 profiles of one process (one ECS task, no restart in between), oldest first';
  const newest = (profile: HeapProfile) => profile.samples.reduce((max, sample) => Math.max(max, sample.ordinal), 0);
  if (newest(later) < newest(earlier)) {
    throw new Error(
      `${later.file} is older than ${earlier.file} (its newest sample ordinal is lower), or from another process: ${fix}`,
    );
  }
  const byOrdinal = new Map(earlier.samples.map((sample) => [sample.ordinal, sample]));
  let shared = 0;
  let mismatched = 0;
  for (const sample of later.samples) {
    const before = byOrdinal.get(sample.ordinal);
    if (!before) continue;
    shared++;
    if (before.size !== sample.size || before.stack !== sample.stack) mismatched++;
  }
  if (shared > 0 && mismatched > shared * 0.2) {
    throw new Error(
      `${earlier.file} and ${later.file} come from different processes ` +
        `(${mismatched} of ${shared} samples with the same ordinal differ in size or stack): ${fix}`,
    );
  }
}
