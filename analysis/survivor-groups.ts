import type { AnalyzedSnapshot, FullyAnalyzedSnapshot } from './analyzed-snapshot';
import type { ClassTable } from './class-table';
import type { HoldersSinceFirst } from './holders';

/** Survivors of one class under one holder, in the last snapshot. */
export interface SurvivorGroup {
  readonly classId: number;
  /** The nearest dominator that already existed at the first snapshot: the long-lived object they accumulate in. */
  readonly holder: number;
  /** Objects allocated after the first snapshot and alive in the last. */
  survivors: number;
  survivorSelfSize: number;
  /** Retained size of the survivors that no other survivor dominates (no double counting). */
  survivorRetained: number;
  /** With 3 snapshots: survivors allocated after the middle one. */
  survivorsSinceMiddle: number;
  /** The survivor that retains most, whose retainer path the report shows. */
  representative: number;
  representativeRetained: number;
}

/**
 * Survivors are user-level objects of the last snapshot whose id the first snapshot does not have (ids are stable
 * within one isolate). Groups them by class and by their holder, walking the dominator tree in preorder so each
 * node's dominator is settled before the node.
 */
export function groupSurvivors(
  { isOld, holder }: HoldersSinceFirst,
  middle: AnalyzedSnapshot | undefined,
  last: FullyAnalyzedSnapshot,
  classes: ClassTable,
): SurvivorGroup[] {
  const { preorder, idom, ids, classIds, selfSizes, retained, nodeCount } = last;
  const inMiddle = middle ? last.idIndex.sharedWith(middle.idIndex) : undefined;
  const insideSurvivor = new Uint8Array(nodeCount);
  const groups = new Map<number, SurvivorGroup>();
  for (let i = 1; i < preorder.length; i++) {
    const node = preorder[i];
    const dominator = idom[node];
    const old = isOld[node] === 1;
    const classId = classIds[node];
    // Embedder (native) nodes have even ids derived from a hash, not stable between snapshots: never survivors.
    const grouped = !old && ids[node] % 2 === 1 && classes.userLevel[classId];
    const covered = insideSurvivor[dominator] === 1;
    if (grouped || covered) insideSurvivor[node] = 1;
    if (!grouped) continue;
    const key = classId * nodeCount + holder[node];
    let group = groups.get(key);
    if (!group) {
      group = {
        classId,
        holder: holder[node],
        survivors: 0,
        survivorSelfSize: 0,
        survivorRetained: 0,
        survivorsSinceMiddle: 0,
        representative: node,
        representativeRetained: -1,
      };
      groups.set(key, group);
    }
    group.survivors++;
    group.survivorSelfSize += selfSizes[node];
    if (inMiddle && inMiddle[node] === 0) group.survivorsSinceMiddle++;
    if (!covered) {
      group.survivorRetained += retained[node];
      if (retained[node] > group.representativeRetained) {
        group.representative = node;
        group.representativeRetained = retained[node];
      }
    }
  }
  return [...groups.values()];
}
