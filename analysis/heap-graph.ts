import type { HeapSnapshot } from './heap-snapshot';

/**
 * Adjacency of a heap graph in flat arrays: node `n`'s outgoing edges are ordinals `firstEdge[n]..firstEdge[n+1]-1`,
 * whose target is `edges[e * edgeStride + edgeTargetOffset]`; its retainers are `retainerEdge[r]`/`retainerNode[r]`
 * for `r` in `firstRetainer[n]..firstRetainer[n+1]-1`. Edges whose type is `ignoredEdgeType` (weak) do not retain:
 * the retainer lists leave them out.
 */
export interface HeapGraph {
  readonly nodeCount: number;
  readonly rootNode: number;
  readonly firstEdge: Uint32Array;
  readonly edges: Uint32Array;
  readonly edgeStride: number;
  readonly edgeTargetOffset: number;
  readonly edgeTypeOffset: number;
  /** -1 when no edge type is ignored. */
  readonly ignoredEdgeType: number;
  readonly firstRetainer: Uint32Array;
  /** Empty in a graph built for dominators only, which need the retaining nodes but not their edges. */
  readonly retainerEdge: Uint32Array;
  readonly retainerNode: Uint32Array;
}

/** What a graph is built for: retainer paths need each retainer's edge, dominators only the retaining node. */
export type GraphUse = 'paths' | 'dominators';

/** Builds the first-edge index and the retainer lists of a parsed snapshot; the root is node 0, as V8 writes it. */
export function buildHeapGraph(snapshot: HeapSnapshot, use: GraphUse = 'paths'): HeapGraph {
  const { layout, nodes, nodeCount } = snapshot;
  const edgeCounts = new Uint32Array(nodeCount);
  for (let node = 0; node < nodeCount; node++) {
    edgeCounts[node] = nodes[node * layout.nodeFieldCount + layout.nodeEdgeCountOffset];
  }
  const weak = layout.edgeTypes.indexOf('weak');
  if (weak >= 0) weakenStringTableEdges(snapshot, weak);
  return buildGraphFromEdgeCounts({
    edgeCounts,
    edges: snapshot.edges,
    edgeStride: layout.edgeFieldCount,
    edgeTargetOffset: layout.edgeToNodeOffset,
    edgeTypeOffset: layout.edgeTypeOffset,
    ignoredEdgeType: weak,
    rootNode: 0,
    use,
  });
}

/**
 * V8's string table drops strings nobody else references, so it holds them weakly in effect; without this every
 * property-name string would be "held" by (Internalized strings) instead of the object using it as a key.
 */
const WEAK_HOLDING_ROOTS = new Set(['(Internalized strings)', '(External strings)']);

function weakenStringTableEdges(snapshot: HeapSnapshot, weakType: number): void {
  const { layout, nodes, edges, strings, nodeCount } = snapshot;
  let edge = 0;
  for (let node = 0; node < nodeCount; node++) {
    const base = node * layout.nodeFieldCount;
    const edgeCount = nodes[base + layout.nodeEdgeCountOffset];
    const isSynthetic = layout.nodeTypes[nodes[base + layout.nodeTypeOffset]] === 'synthetic';
    if (isSynthetic && WEAK_HOLDING_ROOTS.has(strings[nodes[base + layout.nodeNameOffset]] ?? '')) {
      for (let e = edge; e < edge + edgeCount; e++) edges[e * layout.edgeFieldCount + layout.edgeTypeOffset] = weakType;
    }
    edge += edgeCount;
  }
}

export interface GraphEdges {
  /** Number of outgoing edges of each node, in node order. */
  readonly edgeCounts: Uint32Array;
  readonly edges: Uint32Array;
  readonly edgeStride: number;
  readonly edgeTargetOffset: number;
  readonly edgeTypeOffset: number;
  readonly ignoredEdgeType: number;
  readonly rootNode: number;
  /** @default 'paths' */
  readonly use?: GraphUse;
}

export function buildGraphFromEdgeCounts(input: GraphEdges): HeapGraph {
  const { edgeCounts, edges, edgeStride, edgeTargetOffset } = input;
  const nodeCount = edgeCounts.length;
  const edgeCount = edges.length / edgeStride;
  const firstEdge = new Uint32Array(nodeCount + 1);
  for (let node = 0; node < nodeCount; node++) firstEdge[node + 1] = firstEdge[node] + edgeCounts[node];
  if (firstEdge[nodeCount] !== edgeCount) {
    throw new Error(`edge counts add up to ${firstEdge[nodeCount]} but there are ${edgeCount} edges`);
  }
  const { edgeTypeOffset, ignoredEdgeType } = input;
  const firstRetainer = new Uint32Array(nodeCount + 1);
  for (let offset = 0; offset < edges.length; offset += edgeStride) {
    if (edges[offset + edgeTypeOffset] !== ignoredEdgeType) firstRetainer[edges[offset + edgeTargetOffset] + 1]++;
  }
  for (let node = 0; node < nodeCount; node++) firstRetainer[node + 1] += firstRetainer[node];
  const retainerCount = firstRetainer[nodeCount];
  const withEdges = (input.use ?? 'paths') === 'paths';
  const retainerEdge = new Uint32Array(withEdges ? retainerCount : 0);
  const retainerNode = new Uint32Array(retainerCount);
  const fill = firstRetainer.slice(0, nodeCount);
  for (let node = 0; node < nodeCount; node++) {
    for (let edge = firstEdge[node], offset = edge * edgeStride; edge < firstEdge[node + 1]; edge++) {
      if (edges[offset + edgeTypeOffset] !== ignoredEdgeType) {
        const slot = fill[edges[offset + edgeTargetOffset]]++;
        if (withEdges) retainerEdge[slot] = edge;
        retainerNode[slot] = node;
      }
      offset += edgeStride;
    }
  }
  return {
    nodeCount,
    rootNode: input.rootNode,
    firstEdge,
    edges,
    edgeStride,
    edgeTargetOffset,
    edgeTypeOffset,
    ignoredEdgeType,
    firstRetainer,
    retainerEdge,
    retainerNode,
  };
}

export function isRetainingEdge(graph: HeapGraph, edge: number): boolean {
  return graph.edges[edge * graph.edgeStride + graph.edgeTypeOffset] !== graph.ignoredEdgeType;
}
