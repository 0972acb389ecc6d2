import type { AnalyzedSnapshot } from './analyzed-snapshot';
import type { ClassTable } from './class-table';

/** A (class, holder) group, the holder named by its node id so it can be found in every snapshot. */
export interface GroupKey {
  readonly classId: number;
  readonly holderId: number;
}

/** Size of a group in one snapshot. */
export interface GroupMeasure {
  readonly count: number;
  readonly selfSize: number;
  readonly retained: number;
}

/**
 * Measures groups in one snapshot: a node belongs to (its class, its nearest dominator among the holders). Counting
 * the same way in every snapshot is what tells a cache that churns (flat) from one that grows.
 */
export function measureGroups(
  snapshot: AnalyzedSnapshot,
  keys: readonly GroupKey[],
  classes: ClassTable,
): GroupMeasure[] {
  const { preorder, idom, classIds, selfSizes, retained, nodeCount } = snapshot;
  const holderSlot = new Int32Array(nodeCount).fill(-1);
  const slotByHolderId = new Map<number, number>();
  for (const key of keys) {
    if (slotByHolderId.has(key.holderId)) continue;
    const node = snapshot.idIndex.find(key.holderId);
    if (node < 0) continue;
    const slot = slotByHolderId.size;
    slotByHolderId.set(key.holderId, slot);
    holderSlot[node] = slot;
  }
  const holderCount = Math.max(1, slotByHolderId.size);
  const groupIndex = new Map<number, number>();
  keys.forEach((key, index) => {
    const slot = slotByHolderId.get(key.holderId);
    if (slot !== undefined) groupIndex.set(key.classId * holderCount + slot, index);
  });
  const counts = new Float64Array(keys.length);
  const selfTotals = new Float64Array(keys.length);
  const retainedTotals = new Float64Array(keys.length);
  const nearest = new Int32Array(nodeCount).fill(-1);
  const covered = new Uint8Array(nodeCount);
  for (let i = 1; i < preorder.length; i++) {
    const node = preorder[i];
    const dominator = idom[node];
    const dominatorSlot = holderSlot[dominator];
    nearest[node] = dominatorSlot >= 0 ? dominatorSlot : nearest[dominator];
    const classId = classIds[node];
    const userLevel = classes.userLevel[classId] && holderSlot[node] < 0;
    const isCovered = covered[dominator] === 1;
    if (holderSlot[node] < 0 && (userLevel || isCovered)) covered[node] = 1;
    if (!userLevel || nearest[node] < 0) continue;
    const index = groupIndex.get(classId * holderCount + nearest[node]);
    if (index === undefined) continue;
    counts[index]++;
    selfTotals[index] += selfSizes[node];
    if (!isCovered) retainedTotals[index] += retained[node];
  }
  return keys.map((_, index) => ({
    count: counts[index],
    selfSize: selfTotals[index],
    retained: retainedTotals[index],
  }));
}

/** Count and self size of every class in one snapshot, indexed by class id. */
export function measureClasses(
  snapshot: AnalyzedSnapshot,
  classCount: number,
): { counts: Float64Array; sizes: Float64Array } {
  const counts = new Float64Array(classCount);
  const sizes = new Float64Array(classCount);
  for (let i = 0; i < snapshot.preorder.length; i++) {
    const node = snapshot.preorder[i];
    counts[snapshot.classIds[node]]++;
    sizes[snapshot.classIds[node]] += snapshot.selfSizes[node];
  }
  return { counts, sizes };
}
