import { NodeIdIndex } from '../../analysis/node-id-index';

describe('NodeIdIndex', () => {
  it('finds nodes by id in any order, over the whole 32-bit range', () => {
    // Prepare
    const ids = Uint32Array.from([7, 0xfffffffe, 1, 65_537, 3, 65_535, 2_000_000_001]);
    // Act
    const index = new NodeIdIndex(ids);
    // Assess
    expect(Array.from(index.sortedIds)).toEqual([...ids].sort((a, b) => a - b));
    expect(Array.from(ids, (id) => index.find(id))).toEqual(Array.from(ids, (_, node) => node));
    expect(index.find(5)).toBe(-1);
    expect(index.has(65_537)).toBe(true);
    expect(index.maxObjectId).toBe(2_000_000_001);
  });

  it('sorts a large random set like Array.prototype.sort', () => {
    // Prepare
    let state = 42;
    const ids = Uint32Array.from({ length: 50_000 }, () => {
      state = (state * 1664525 + 1013904223) >>> 0;
      return state;
    });
    // Act
    const index = new NodeIdIndex(ids);
    // Assess
    expect(Array.from(index.sortedIds)).toEqual(Array.from(ids).sort((a, b) => a - b));
  });
});
