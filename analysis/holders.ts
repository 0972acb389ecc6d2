import type { AnalyzedSnapshot } from './analyzed-snapshot';

/** What the first snapshot of a series says about each node of the last one. */
export interface HoldersSinceFirst {
  /** 1 where the node existed at the first snapshot (ids are stable within one isolate). */
  readonly isOld: Uint8Array;
  /** The nearest dominator that existed at the first snapshot: the long-lived object new nodes accumulate in. */
  readonly holder: Uint32Array;
}

/** Walks the last snapshot's dominator tree in preorder, so each node's dominator is settled before the node. */
export function holdersSinceFirst(first: AnalyzedSnapshot, last: AnalyzedSnapshot, root: number): HoldersSinceFirst {
  const { preorder, idom, nodeCount } = last;
  const isOld = last.idIndex.sharedWith(first.idIndex);
  const holder = new Uint32Array(nodeCount);
  isOld[root] = 1;
  holder[root] = root;
  for (let i = 1; i < preorder.length; i++) {
    const node = preorder[i];
    const dominator = idom[node];
    holder[node] = isOld[dominator] ? dominator : holder[dominator];
  }
  return { isOld, holder };
}
