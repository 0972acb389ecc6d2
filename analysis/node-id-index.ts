/** Finds nodes by their V8 id (stable within one isolate) in a snapshot: node indexes sorted by id. */
export class NodeIdIndex {
  readonly sortedIds: Uint32Array;
  readonly nodeBySortedPosition: Uint32Array;

  /** From the ids of the nodes (`sorted` = an index built before, e.g. in another thread). */
  constructor(
    ids: Uint32Array,
    sorted?: { readonly sortedIds: Uint32Array; readonly nodeBySortedPosition: Uint32Array },
  ) {
    const { order, sortedKeys } = sorted
      ? { order: sorted.nodeBySortedPosition, sortedKeys: sorted.sortedIds }
      : radixOrder(ids);
    this.nodeBySortedPosition = order;
    this.sortedIds = sortedKeys;
  }

  /** The node index with this id, or -1. */
  find(id: number): number {
    const ids = this.sortedIds;
    let low = 0;
    let high = ids.length - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const value = ids[middle];
      if (value === id) return this.nodeBySortedPosition[middle];
      if (value < id) low = middle + 1;
      else high = middle - 1;
    }
    return -1;
  }

  has(id: number): boolean {
    return this.find(id) >= 0;
  }

  /**
   * 1 for each node of this snapshot whose id `other` also has: one merge of the two sorted id lists.
   */
  sharedWith(other: NodeIdIndex): Uint8Array {
    const shared = new Uint8Array(this.sortedIds.length);
    const mine = this.sortedIds;
    const theirs = other.sortedIds;
    let j = 0;
    for (let i = 0; i < mine.length; i++) {
      const id = mine[i];
      while (j < theirs.length && theirs[j] < id) j++;
      if (j < theirs.length && theirs[j] === id) shared[this.nodeBySortedPosition[i]] = 1;
    }
    return shared;
  }

  /**
   * The newest heap object id. V8 numbers heap objects with odd ids, counting up, and gives embedder (native) nodes
   * even ids derived from a hash, so only odd ids tell age.
   */
  get maxObjectId(): number {
    for (let i = this.sortedIds.length - 1; i >= 0; i--) if (this.sortedIds[i] % 2 === 1) return this.sortedIds[i];
    return 0;
  }
}

const DIGIT_BITS = 11;
const DIGIT_VALUES = 1 << DIGIT_BITS;
const DIGIT_MASK = DIGIT_VALUES - 1;

/**
 * Indexes 0..n-1 ordered by key, and the keys in that order: stable counting passes over 11-bit digits, O(n). The
 * keys travel with the indexes, so each pass reads sequentially; digits this small keep the counters in cache; passes
 * above the highest key bit are skipped.
 */
function radixOrder(keys: Uint32Array): { order: Uint32Array; sortedKeys: Uint32Array } {
  let order = new Uint32Array(keys.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  let sortedKeys = keys.slice();
  let highest = 0;
  for (let i = 0; i < keys.length; i++) highest |= keys[i];
  let scratchOrder = new Uint32Array(keys.length);
  let scratchKeys = new Uint32Array(keys.length);
  const counts = new Uint32Array(DIGIT_VALUES + 1);
  for (let shift = 0; shift < 32 && highest >>> shift !== 0; shift += DIGIT_BITS) {
    counts.fill(0);
    for (let i = 0; i < sortedKeys.length; i++) counts[((sortedKeys[i] >>> shift) & DIGIT_MASK) + 1]++;
    for (let digit = 0; digit < DIGIT_VALUES; digit++) counts[digit + 1] += counts[digit];
    for (let i = 0; i < sortedKeys.length; i++) {
      const key = sortedKeys[i];
      const slot = counts[(key >>> shift) & DIGIT_MASK]++;
      scratchKeys[slot] = key;
      scratchOrder[slot] = order[i];
    }
    [order, scratchOrder] = [scratchOrder, order];
    [sortedKeys, scratchKeys] = [scratchKeys, sortedKeys];
  }
  return { order, sortedKeys };
}
