import type { HeapGraph } from './heap-graph';

const NONE = 0xffffffff;
const INITIAL_STACK = 1 << 16;

function grown(stack: Uint32Array): Uint32Array<ArrayBuffer> {
  const bigger = new Uint32Array(stack.length * 2);
  bigger.set(stack);
  return bigger;
}

/** The dominator tree of a heap graph; unreachable nodes get the root as their dominator, like DevTools. */
export interface DominatorTree {
  /** Immediate dominator of each node (the root's is itself). */
  readonly idom: Uint32Array;
  /** Reachable nodes in depth-first preorder from the root: every node comes after its dominator. */
  readonly preorder: Uint32Array;
  readonly reachableCount: number;
}

/**
 * Semidominators as in Lengauer–Tarjan (path compression), then immediate dominators as the nearest common ancestor
 * of a node's DFS parent and its semidominator (Georgiadis' SNCA): no buckets, and the scratch arrays are reused for
 * the results, so the whole computation takes 6 × 4 bytes per node plus its stack. Without recursion, so graphs of tens of millions
 * of nodes do not overflow the stack. Edges of `graph.ignoredEdgeType` (weak) are not followed.
 */
export function computeDominators(graph: HeapGraph): DominatorTree {
  const { nodeCount, firstEdge, edges, edgeStride, edgeTargetOffset, edgeTypeOffset, ignoredEdgeType } = graph;
  const dfnOf = new Uint32Array(nodeCount).fill(NONE);
  const vertex = new Uint32Array(nodeCount);
  const parent = new Uint32Array(nodeCount);

  // 1. Iterative DFS numbering (indexes below are DFS numbers unless named `node`). The stack grows as deep as the
  // graph is, usually far less than its node count.
  let stackNode = new Uint32Array(Math.min(nodeCount, INITIAL_STACK));
  let stackEdge = new Uint32Array(stackNode.length);
  dfnOf[graph.rootNode] = 0;
  vertex[0] = graph.rootNode;
  parent[0] = NONE;
  let count = 1;
  stackNode[0] = graph.rootNode;
  stackEdge[0] = firstEdge[graph.rootNode];
  let depth = 1;
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
    if (depth === stackNode.length) {
      stackNode = grown(stackNode);
      stackEdge = grown(stackEdge);
    }
    stackNode[depth] = target;
    stackEdge[depth] = firstEdge[target];
    depth++;
  }

  // 2. Semidominators, in reverse DFS order, over the retainer lists (which hold retaining edges only).
  stackEdge = new Uint32Array(0);
  const semi = new Uint32Array(count);
  let compressStack = stackNode;
  const label = new Uint32Array(count);
  const ancestor = new Uint32Array(count).fill(NONE);
  for (let v = 0; v < count; v++) {
    semi[v] = v;
    label[v] = v;
  }
  const evaluate = (v: number): number => {
    if (ancestor[v] === NONE) return v;
    let length = 0;
    let u = v;
    while (ancestor[ancestor[u]] !== NONE) {
      if (length === compressStack.length) compressStack = grown(compressStack);
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
  const { firstRetainer, retainerNode } = graph;
  for (let w = count - 1; w > 0; w--) {
    const node = vertex[w];
    let best = semi[w];
    for (let r = firstRetainer[node]; r < firstRetainer[node + 1]; r++) {
      const v = dfnOf[retainerNode[r]];
      if (v === NONE) continue;
      const candidate = semi[evaluate(v)];
      if (candidate < best) best = candidate;
    }
    semi[w] = best;
    ancestor[w] = parent[w];
  }

  // 3. Immediate dominators in DFS order: climb the tree built so far from the parent up to the semidominator.
  const idomDfn = label; // free after the semidominators
  idomDfn[0] = 0;
  for (let w = 1; w < count; w++) {
    let d = parent[w];
    while (d > semi[w]) d = idomDfn[d];
    idomDfn[w] = d;
  }

  // 4. Back to node indexes, in the array that held DFS numbers.
  const idom = dfnOf;
  for (let node = 0; node < nodeCount; node++) if (idom[node] === NONE) idom[node] = graph.rootNode;
  for (let w = 0; w < count; w++) idom[vertex[w]] = vertex[idomDfn[w]];
  return { idom, preorder: vertex.subarray(0, count), reachableCount: count };
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
