import type { HeapGraph } from './heap-graph';

const NONE = 0xffffffff;

/** The dominator tree of a heap graph; unreachable nodes get the root as their dominator, like DevTools. */
export interface DominatorTree {
  /** Immediate dominator of each node (the root's is itself). */
  readonly idom: Uint32Array;
  /** Reachable nodes in depth-first preorder from the root: every node comes after its dominator. */
  readonly preorder: Uint32Array;
  readonly reachableCount: number;
}

/**
 * Lengauer–Tarjan ("simple" version, path compression) without recursion, so graphs of tens of millions of nodes do
 * not overflow the stack. Edges of `graph.ignoredEdgeType` (weak) are not followed.
 */
export function computeDominators(graph: HeapGraph): DominatorTree {
  const { nodeCount, firstEdge, edges, edgeStride, edgeTargetOffset, edgeTypeOffset, ignoredEdgeType } = graph;
  const dfnOf = new Uint32Array(nodeCount).fill(NONE);
  const vertex = new Uint32Array(nodeCount);
  const parent = new Uint32Array(nodeCount);

  // 1. Iterative DFS numbering (indexes below are DFS numbers unless named `node`).
  const stackNode = new Uint32Array(nodeCount);
  const stackEdge = new Uint32Array(nodeCount);
  let count = 0;
  let depth = 0;
  dfnOf[graph.rootNode] = 0;
  vertex[0] = graph.rootNode;
  parent[0] = NONE;
  count = 1;
  stackNode[0] = graph.rootNode;
  stackEdge[0] = firstEdge[graph.rootNode];
  depth = 1;
  while (depth > 0) {
    const node = stackNode[depth - 1];
    const edge = stackEdge[depth - 1];
    if (edge >= firstEdge[node + 1]) {
      depth--;
      continue;
    }
    stackEdge[depth - 1] = edge + 1;
    const offset = edge * edgeStride;
    if (edges[offset + edgeTypeOffset] === ignoredEdgeType) continue;
    const target = edges[offset + edgeTargetOffset];
    if (dfnOf[target] !== NONE) continue;
    dfnOf[target] = count;
    vertex[count] = target;
    parent[count] = dfnOf[node];
    count++;
    stackNode[depth] = target;
    stackEdge[depth] = firstEdge[target];
    depth++;
  }

  // 2. Semidominators, then immediate dominators, in DFS-number space.
  const semi = new Uint32Array(count);
  const label = new Uint32Array(count);
  const ancestor = new Uint32Array(count).fill(NONE);
  const idomDfn = new Uint32Array(count);
  const bucketHead = new Uint32Array(count).fill(NONE);
  const bucketNext = new Uint32Array(count).fill(NONE);
  for (let v = 0; v < count; v++) {
    semi[v] = v;
    label[v] = v;
  }
  const compressStack = stackNode; // free after the DFS

  const evaluate = (v: number): number => {
    if (ancestor[v] === NONE) return v;
    let length = 0;
    let u = v;
    while (ancestor[ancestor[u]] !== NONE) {
      compressStack[length++] = u;
      u = ancestor[u];
    }
    while (length > 0) {
      const x = compressStack[--length];
      const a = ancestor[x];
      if (semi[label[a]] < semi[label[x]]) label[x] = label[a];
      ancestor[x] = ancestor[a];
    }
    return label[v];
  };

  const { firstRetainer, retainerEdge, retainerNode } = graph;
  for (let w = count - 1; w > 0; w--) {
    const node = vertex[w];
    for (let r = firstRetainer[node]; r < firstRetainer[node + 1]; r++) {
      if (edges[retainerEdge[r] * edgeStride + edgeTypeOffset] === ignoredEdgeType) continue;
      const v = dfnOf[retainerNode[r]];
      if (v === NONE) continue;
      const u = evaluate(v);
      if (semi[u] < semi[w]) semi[w] = semi[u];
    }
    bucketNext[w] = bucketHead[semi[w]];
    bucketHead[semi[w]] = w;
    const p = parent[w];
    ancestor[w] = p;
    for (let v = bucketHead[p]; v !== NONE; v = bucketNext[v]) {
      const u = evaluate(v);
      idomDfn[v] = semi[u] < semi[v] ? u : p;
    }
    bucketHead[p] = NONE;
  }
  for (let w = 1; w < count; w++) {
    if (idomDfn[w] !== semi[w]) idomDfn[w] = idomDfn[idomDfn[w]];
  }

  const idom = new Uint32Array(nodeCount).fill(graph.rootNode);
  for (let w = 1; w < count; w++) idom[vertex[w]] = vertex[idomDfn[w]];
  return { idom, preorder: vertex.slice(0, count), reachableCount: count };
}

/** Self size plus everything a node alone keeps alive; unreachable nodes keep only their own size. */
export function computeRetainedSizes(tree: DominatorTree, selfSizes: ArrayLike<number>): Float64Array {
  const retained = new Float64Array(selfSizes.length);
  for (let node = 0; node < selfSizes.length; node++) retained[node] = selfSizes[node];
  const { preorder, idom } = tree;
  for (let i = preorder.length - 1; i > 0; i--) {
    const node = preorder[i];
    retained[idom[node]] += retained[node];
  }
  return retained;
}
