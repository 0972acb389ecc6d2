import { computeDominators, computeRetainedSizes } from '../../analysis/dominators';
import { buildGraphFromEdgeCounts, type HeapGraph } from '../../analysis/heap-graph';

const STRONG = 0;
const WEAK = 1;

/** adjacency[n] = list of [target, type]; node 0 is the root. */
function graphOf(adjacency: Array<Array<[number, number?]>>): HeapGraph {
  const edgeCounts = Uint32Array.from(adjacency.map((targets) => targets.length));
  const edges = Uint32Array.from(adjacency.flatMap((targets) => targets.flatMap(([to, type]) => [type ?? STRONG, to])));
  return buildGraphFromEdgeCounts({
    edgeCounts,
    edges,
    edgeStride: 2,
    edgeTypeOffset: 0,
    edgeTargetOffset: 1,
    ignoredEdgeType: WEAK,
    rootNode: 0,
  });
}

function reachable(adjacency: Array<Array<[number, number?]>>, removed: number): boolean[] {
  const seen = adjacency.map(() => false);
  if (removed === 0) return seen;
  const queue = [0];
  seen[0] = true;
  while (queue.length > 0) {
    const node = queue.pop()!;
    for (const [to, type] of adjacency[node]) {
      if (type === WEAK || to === removed || seen[to]) continue;
      seen[to] = true;
      queue.push(to);
    }
  }
  return seen;
}

/** Textbook definition: d dominates v iff removing d makes v unreachable; idom = the strict dominator nearest v. */
function bruteForceIdom(adjacency: Array<Array<[number, number?]>>): number[] {
  const base = reachable(adjacency, -1);
  const dominators = adjacency.map((_, v) => {
    if (!base[v] || v === 0) return [] as number[];
    return adjacency.map((__, d) => d).filter((d) => d !== v && !reachable(adjacency, d)[v]);
  });
  return adjacency.map((_, v) => {
    if (v === 0 || !base[v]) return 0;
    const strict = dominators[v];
    return strict.find((d) => strict.every((other) => other === d || dominators[d].includes(other)))!;
  });
}

function randomGraph(nodeCount: number, edgeCount: number, seed: number): Array<Array<[number, number?]>> {
  let state = seed;
  const random = (n: number) => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state % n;
  };
  const adjacency: Array<Array<[number, number?]>> = Array.from({ length: nodeCount }, () => []);
  for (let i = 0; i < edgeCount; i++) {
    adjacency[random(nodeCount)].push([random(nodeCount), random(8) === 0 ? WEAK : STRONG]);
  }
  return adjacency;
}

describe('computeDominators', () => {
  it('finds the dominators of the Lengauer–Tarjan paper example', () => {
    // Prepare: R=0 A=1 B=2 C=3 D=4 E=5 F=6 G=7 H=8 I=9 J=10 K=11 L=12
    const adjacency: Array<Array<[number]>> = [
      [[1], [2], [3]],
      [[4]],
      [[1], [4], [5]],
      [[6], [7]],
      [[12]],
      [[8]],
      [[9]],
      [[9], [10]],
      [[5], [11]],
      [[11]],
      [[9]],
      [[0], [9]],
      [[8]],
    ];
    // Act
    const tree = computeDominators(graphOf(adjacency));
    // Assess
    expect(Array.from(tree.idom)).toEqual([0, 0, 0, 0, 0, 0, 3, 3, 0, 0, 7, 0, 4]);
    expect(Array.from(tree.idom)).toEqual(bruteForceIdom(adjacency));
  });

  it('ignores weak edges and gives unreachable nodes the root', () => {
    // Prepare: 0 → 1 → 2, 0 -weak→ 2, 3 only weakly reachable
    const adjacency: Array<Array<[number, number?]>> = [[[1], [2, WEAK], [3, WEAK]], [[2]], [], []];
    // Act
    const tree = computeDominators(graphOf(adjacency));
    // Assess
    expect(Array.from(tree.idom)).toEqual([0, 0, 1, 0]);
    expect(tree.reachableCount).toBe(3);
  });

  it.each([
    ['the nearest-common-ancestor climb', {}],
    ['the bucket method it falls back to', { climbStepsPerNode: 0 }],
  ])('agrees with a brute-force computation on random graphs, by %s', (_, options) => {
    for (let seed = 1; seed <= 200; seed++) {
      // Prepare
      const nodeCount = 2 + (seed % 25);
      const adjacency = randomGraph(nodeCount, nodeCount * (1 + (seed % 4)), seed);
      // Act
      const tree = computeDominators(graphOf(adjacency), options);
      // Assess
      expect({ seed, idom: Array.from(tree.idom) }).toEqual({ seed, idom: bruteForceIdom(adjacency) });
    }
  });

  it('stays fast on a chain whose links each hold an object also held from elsewhere', () => {
    // Prepare: root → chain 1..n; link i → object n+i; root → holder 2n+1 → every object. Each object's
    // semidominator is the root while its parent is ever deeper in the chain: climbing costs n²/2 steps.
    const n = 200_000;
    const adjacency: Array<Array<[number]>> = Array.from({ length: 2 * n + 2 }, () => []);
    adjacency[0].push([1], [2 * n + 1]);
    for (let link = 1; link <= n; link++) {
      if (link < n) adjacency[link].push([link + 1]);
      adjacency[link].push([n + link]);
      adjacency[2 * n + 1].push([n + link]);
    }
    // Act
    const tree = computeDominators(graphOf(adjacency));
    // Assess
    expect(tree.idom[n]).toBe(n - 1);
    expect(tree.idom[2 * n]).toBe(0);
    expect(tree.idom[n + 1]).toBe(0);
    expect(tree.reachableCount).toBe(2 * n + 2);
  });

  it('handles a 200 000-node chain without recursion', () => {
    // Prepare
    const adjacency: Array<Array<[number]>> = Array.from({ length: 200_000 }, (_, n) =>
      n + 1 < 200_000 ? [[n + 1]] : [],
    );
    // Act
    const tree = computeDominators(graphOf(adjacency));
    // Assess
    expect(tree.idom[199_999]).toBe(199_998);
    expect(tree.preorder.length).toBe(200_000);
  });
});

describe('computeRetainedSizes', () => {
  it('adds what each node alone keeps alive', () => {
    // Prepare: 0 → 1 → {2, 3}; 0 → 4 → 3 (3 is shared, so only the root retains it)
    const adjacency: Array<Array<[number]>> = [[[1], [4]], [[2], [3]], [], [], [[3]]];
    const tree = computeDominators(graphOf(adjacency));
    // Act
    const retained = computeRetainedSizes(tree, [0, 10, 20, 40, 5]);
    // Assess
    expect(Array.from(retained)).toEqual([75, 30, 20, 40, 5]);
  });
});
