import type { HeapGraph } from './heap-graph';

const NONE = 0xffffffff;
const INITIAL_STACK = 1 << 16;
/**
 * Steps the nearest-common-ancestor climb may take per reachable node before the bucket method takes over. Heap
 * graphs climb a step or two per node; a long chain whose links are each held from elsewhere would climb the whole
 * chain for every link.
 */
const CLIMB_STEPS_PER_NODE = 32;

/** The dominator tree of a heap graph; unreachable nodes get the root as their dominator, like DevTools. */
export interface DominatorTree {
  /** Immediate dominator of each node (the root's is itself). */
  readonly idom: Uint32Array;
  /** Reachable nodes in depth-first preorder from the root: every node comes after its dominator. */
  readonly preorder: Uint32Array;
  readonly reachableCount: number;
}

export interface DominatorOptions {
  /** Climb steps per reachable node before the bucket method is used instead. @default 32 */
  readonly climbStepsPerNode?: number;
}

/**
 * Semidominators as in Lengauer–Tarjan (path compression), then immediate dominators as the nearest common ancestor
 * of a node's DFS parent and its semidominator (Georgiadis' SNCA), in 6 × 4 bytes per node plus the DFS stack; a
 * graph on which that climb grows quadratic is done again with Lengauer–Tarjan's buckets (2 × 4 bytes per node
 * more), which are O(m log n) whatever the shape. Without recursion, so graphs of tens of millions of nodes do not
 * overflow the stack. Edges of `graph.ignoredEdgeType` (weak) are not followed.
 */
export function computeDominators(graph: HeapGraph, options: DominatorOptions = {}): DominatorTree {
  const { dfnOf, vertex, parent, count, stack } = numberDepthFirst(graph);
  const forest = new LinkEvalForest(count, stack);
  computeSemidominators(graph, dfnOf, vertex, parent, forest);
  const climbed = climbToImmediateDominators(parent, forest.semi, forest.label, count, options);
  const idomDfn =
    climbed ?? immediateDominatorsByBuckets(graph, dfnOf, vertex, parent, new LinkEvalForest(count, stack));

  // Back to node indexes, in the array that held DFS numbers.
  const idom = dfnOf;
  for (let node = 0; node < idom.length; node++) if (idom[node] === NONE) idom[node] = graph.rootNode;
  for (let w = 0; w < count; w++) idom[vertex[w]] = vertex[idomDfn[w]];
  return { idom, preorder: vertex.subarray(0, count), reachableCount: count };
}

/** Iterative DFS from the root over retaining edges: DFS number of each node, node of each number, DFS parents. */
function numberDepthFirst(graph: HeapGraph) {
  const { nodeCount, firstEdge, edges, edgeStride, edgeTargetOffset, edgeTypeOffset, ignoredEdgeType } = graph;
  const dfnOf = new Uint32Array(nodeCount).fill(NONE);
  const vertex = new Uint32Array(nodeCount);
  const parent = new Uint32Array(nodeCount);
  // The stack grows as deep as the graph is, usually far less than its node count.
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
  return { dfnOf, vertex, parent, count, stack: stackNode };
}

function grown(stack: Uint32Array): Uint32Array<ArrayBuffer> {
  const bigger = new Uint32Array(stack.length * 2);
  bigger.set(stack);
  return bigger;
}

/** Lengauer–Tarjan's forest in DFS-number space: `evaluate` with path compression, `semi` and `label` per vertex. */
class LinkEvalForest {
  readonly semi: Uint32Array;
  readonly label: Uint32Array;
  readonly ancestor: Uint32Array;

  constructor(
    count: number,
    private compressStack: Uint32Array,
  ) {
    this.semi = new Uint32Array(count);
    this.label = new Uint32Array(count);
    this.ancestor = new Uint32Array(count).fill(NONE);
    for (let v = 0; v < count; v++) {
      this.semi[v] = v;
      this.label[v] = v;
    }
  }

  /** The vertex of least semidominator on the forest path above `v`. */
  evaluate(v: number): number {
    const { ancestor, label, semi } = this;
    if (ancestor[v] === NONE) return v;
    let length = 0;
    let u = v;
    while (ancestor[ancestor[u]] !== NONE) {
      if (length === this.compressStack.length) this.compressStack = grown(this.compressStack);
      this.compressStack[length++] = u;
      u = ancestor[u];
    }
    while (length > 0) {
      const x = this.compressStack[--length];
      const a = ancestor[x];
      if (semi[label[a]] < semi[label[x]]) label[x] = label[a];
      ancestor[x] = ancestor[a];
    }
    return label[v];
  }
}

/** Semidominators in reverse DFS order, over the retainer lists (which hold retaining edges only). */
function computeSemidominators(
  graph: HeapGraph,
  dfnOf: Uint32Array,
  vertex: Uint32Array,
  parent: Uint32Array,
  forest: LinkEvalForest,
  /** Called once `w` is linked into the forest. */
  atEachVertex?: (w: number) => void,
): void {
  const { firstRetainer, retainerNode } = graph;
  const { semi, ancestor } = forest;
  for (let w = semi.length - 1; w > 0; w--) {
    const node = vertex[w];
    let best = semi[w];
    for (let r = firstRetainer[node]; r < firstRetainer[node + 1]; r++) {
      const v = dfnOf[retainerNode[r]];
      if (v === NONE) continue;
      const candidate = semi[forest.evaluate(v)];
      if (candidate < best) best = candidate;
    }
    semi[w] = best;
    ancestor[w] = parent[w];
    atEachVertex?.(w);
  }
}

/**
 * Immediate dominators in DFS order: climb the tree built so far from the parent up to the semidominator. Written
 * into `out`; undefined when the climb exceeds its budget.
 */
function climbToImmediateDominators(
  parent: Uint32Array,
  semi: Uint32Array,
  out: Uint32Array,
  count: number,
  options: DominatorOptions,
): Uint32Array | undefined {
  let budget = count * (options.climbStepsPerNode ?? CLIMB_STEPS_PER_NODE);
  out[0] = 0;
  for (let w = 1; w < count; w++) {
    let d = parent[w];
    while (d > semi[w]) {
      if (budget-- === 0) return undefined;
      d = out[d];
    }
    out[w] = d;
  }
  return out;
}

/** Lengauer–Tarjan's buckets, computed again with the semidominators; the results go into `parent`. */
function immediateDominatorsByBuckets(
  graph: HeapGraph,
  dfnOf: Uint32Array,
  vertex: Uint32Array,
  parent: Uint32Array,
  forest: LinkEvalForest,
): Uint32Array {
  const count = forest.semi.length;
  const bucketHead = new Uint32Array(count).fill(NONE);
  const bucketNext = new Uint32Array(count).fill(NONE);
  // A vertex's parent is read before its dominator is written over it, and never again.
  const idomDfn = parent;
  const { semi } = forest;
  computeSemidominators(graph, dfnOf, vertex, parent, forest, (w) => {
    bucketNext[w] = bucketHead[semi[w]];
    bucketHead[semi[w]] = w;
    const p = parent[w];
    for (let v = bucketHead[p]; v !== NONE; v = bucketNext[v]) {
      const u = forest.evaluate(v);
      idomDfn[v] = semi[u] < semi[v] ? u : p;
    }
    bucketHead[p] = NONE;
  });
  idomDfn[0] = 0;
  for (let w = 1; w < count; w++) {
    if (idomDfn[w] !== semi[w]) idomDfn[w] = idomDfn[idomDfn[w]];
  }
  return idomDfn;
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
