import type { AnalyzedSnapshot } from './analyzed-snapshot';

/** How many of an earlier snapshot's youngest nodes, found again by id, are the same object. */
export interface IdentityMatch {
  readonly shared: number;
  readonly mismatched: number;
}

export function matchIdentities(earlier: AnalyzedSnapshot, later: AnalyzedSnapshot): IdentityMatch {
  const { ids, signatures } = earlier.identitySample;
  let shared = 0;
  let mismatched = 0;
  for (let i = 0; i < ids.length; i++) {
    const node = later.idIndex.find(ids[i]);
    if (node < 0) continue;
    shared++;
    if (later.signatureOf(node) !== signatures[i]) mismatched++;
  }
  return { shared, mismatched };
}

/**
 * Node ids are only stable within one isolate: in another process the same id names an unrelated object. Refuses
 * such pairs, and pairs given newest first.
 */
export function assertSameProcess(earlier: AnalyzedSnapshot, later: AnalyzedSnapshot): void {
  const fix = 'pass 2 or 3 snapshots of one process (one ECS task, no restart in between), oldest first';
  if (later.idIndex.maxObjectId < earlier.idIndex.maxObjectId) {
    throw new Error(
      `${later.file} is older than ${earlier.file} (its newest heap object id is lower), or from another process: ${fix}`,
    );
  }
  const { shared, mismatched } = matchIdentities(earlier, later);
  if (shared === 0 || mismatched > shared * 0.2) {
    throw new Error(
      `${earlier.file} and ${later.file} come from different processes ` +
        `(${shared === 0 ? 'no shared node ids' : `${mismatched} of ${shared} shared node ids name different objects`}): ${fix}`,
    );
  }
}
