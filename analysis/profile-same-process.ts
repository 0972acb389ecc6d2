import type { HeapProfile } from './heap-profile';

/**
 * Samples carry an ordinal that one process numbers upwards and never reuses, and a sample alive in two reads of one
 * process keeps its size and stack. A profile of another process (or of the same task after a restart) reuses the
 * ordinals for other allocations. Refuses such pairs, and pairs given newest first where that shows: by the capture
 * times in heapwatch's file names, or by a sample the later read has and the earlier one, which must have had it
 * alive, has not. (The later read's newest sample may be older than the earlier read's: that one may have died.)
 */
/** The capture time in a heapwatch file name (`<taskId>-2026-12-06T01-02-03.456Z.heapprofile`), if it has one. */
function capturedAt(file: string): string | undefined {
  return /(\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d(?:\.\d{3})?Z)\.heapprofile$/i.exec(file)?.[1];
}

export function assertSameProfileProcess(earlier: HeapProfile, later: HeapProfile): void {
  const fix = 'pass 2 or 3 profiles of one process (one ECS task, no restart in between), oldest first';
  const [earlierAt, laterAt] = [capturedAt(earlier.file), capturedAt(later.file)];
  if (earlierAt !== undefined && laterAt !== undefined && laterAt < earlierAt) {
    throw new Error(`${later.file} is older than ${earlier.file} (by the capture times in their names): ${fix}`);
  }
  const byOrdinal = new Map(earlier.samples.map((sample) => [sample.ordinal, sample]));
  const newestEarlier = earlier.samples.reduce((max, sample) => Math.max(max, sample.ordinal), 0);
  let shared = 0;
  let mismatched = 0;
  let bornBeforeButUnseen = 0;
  for (const sample of later.samples) {
    const before = byOrdinal.get(sample.ordinal);
    if (!before) {
      // Alive at the later read and sampled before the earlier read's newest sample, so alive at the earlier read
      // too: in the right order, one process cannot have it here and not there. (The later read's newest sample may
      // well be older than the earlier read's: that one may have died since.)
      if (sample.ordinal < newestEarlier) bornBeforeButUnseen++;
      continue;
    }
    shared++;
    if (before.size !== sample.size || before.stack !== sample.stack) mismatched++;
  }
  // One odd sample among a few shared ones is not evidence: a read with 2 MiB sampling shares only a handful, and a
  // sample is, rarely, found again under another stack (see heap-profile.ts). Another process mismatches nearly all.
  if (mismatched > shared * 0.2 && (mismatched >= 2 || mismatched === shared)) {
    throw new Error(
      `${earlier.file} and ${later.file} come from different processes ` +
        `(${mismatched} of ${shared} samples with the same ordinal differ in size or stack): ${fix}`,
    );
  }
  if (bornBeforeButUnseen > 0 && bornBeforeButUnseen >= shared) {
    throw new Error(
      `${later.file} holds ${bornBeforeButUnseen} sample(s) older than ${earlier.file}'s newest that ${earlier.file} ` +
        `does not have: it is older than ${earlier.file}, or from another process: ${fix}`,
    );
  }
}
