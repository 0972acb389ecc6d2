/** Finds nodes by their V8 id (stable within one isolate) in a snapshot: node indexes sorted by id. */
export class NodeIdIndex {
  readonly sortedIds: Uint32Array;
  readonly nodeBySortedPosition: Uint32Array;

  constructor(ids: Uint32Array) {
    this.nodeBySortedPosition = radixOrder(ids);
    this.sortedIds = new Uint32Array(ids.length);
    for (let i = 0; i < ids.length; i++) this.sortedIds[i] = ids[this.nodeBySortedPosition[i]];
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
   * The newest heap object id. V8 numbers heap objects with odd ids, counting up, and gives embedder (native) nodes
   * even ids derived from a hash, so only odd ids tell age.
   */
  get maxObjectId(): number {
    for (let i = this.sortedIds.length - 1; i >= 0; i--) if (this.sortedIds[i] % 2 === 1) return this.sortedIds[i];
    return 0;
  }
}

/** Indexes 0..n-1 ordered by key: two stable counting passes over 16-bit digits, O(n). */
function radixOrder(keys: Uint32Array): Uint32Array {
  let order = new Uint32Array(keys.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  let scratch = new Uint32Array(keys.length);
  for (const shift of [0, 16]) {
    const counts = new Uint32Array(65537);
    for (let i = 0; i < order.length; i++) counts[((keys[order[i]] >>> shift) & 0xffff) + 1]++;
    for (let digit = 0; digit < 65536; digit++) counts[digit + 1] += counts[digit];
    for (let i = 0; i < order.length; i++) {
      const node = order[i];
      scratch[counts[(keys[node] >>> shift) & 0xffff]++] = node;
    }
    [order, scratch] = [scratch, order];
  }
  return order;
}
