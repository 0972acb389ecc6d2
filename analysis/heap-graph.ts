import type { HeapSnapshot } from './heap-snapshot';

/**
 * Adjacency of a heap graph in flat arrays: node `n`'s outgoing edges are ordinals `firstEdge[n]..firstEdge[n+1]-1`,
 * whose target is `edges[e * edgeStride + edgeTargetOffset]`; the nodes that retain it are `retainerNode[r]` for `r`
 * in `firstRetainer[n]..firstRetainer[n+1]-1`, once per retaining edge ({@link retainingEdgesBetween} gives the
 * edges). Edges whose type is `ignoredEdgeType` (weak) do not retain: the retainer lists leave them out.
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
  readonly retainerNode: Uint32Array;
}

/** Builds the first-edge index and the retainer lists of a parsed snapshot; the root is node 0, as V8 writes it. */
export function buildHeapGraph(snapshot: HeapSnapshot): HeapGraph {
  const { layout, nodes, nodeCount } = snapshot;
  const firstEdge = new Uint32Array(nodeCount + 1);
  for (let node = 0; node < nodeCount; node++) {
    firstEdge[node + 1] = firstEdge[node] + nodes[node * layout.nodeFieldCount + layout.nodeEdgeCountOffset];
  }
  const weak = layout.edgeTypes.indexOf('weak');
  if (weak >= 0) weakenStringTableEdges(snapshot, weak);
  return buildGraphFromFirstEdge(firstEdge, {
    edges: snapshot.edges,
    edgeStride: layout.edgeFieldCount,
    edgeTargetOffset: layout.edgeToNodeOffset,
    edgeTypeOffset: layout.edgeTypeOffset,
    ignoredEdgeType: weak,
    rootNode: 0,
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
  readonly edges: Uint32Array;
  readonly edgeStride: number;
  readonly edgeTargetOffset: number;
  readonly edgeTypeOffset: number;
  readonly ignoredEdgeType: number;
  readonly rootNode: number;
}

/** A graph from the number of outgoing edges of each node, in node order. */
export function buildGraphFromEdgeCounts(input: GraphEdges & { readonly edgeCounts: Uint32Array }): HeapGraph {
  const { edgeCounts } = input;
  const firstEdge = new Uint32Array(edgeCounts.length + 1);
  for (let node = 0; node < edgeCounts.length; node++) firstEdge[node + 1] = firstEdge[node] + edgeCounts[node];
  return buildGraphFromFirstEdge(firstEdge, input);
}

/** A graph from the first-edge index (node `n`'s edges are `firstEdge[n]..firstEdge[n+1]-1`, one entry more). */
function buildGraphFromFirstEdge(firstEdge: Uint32Array, input: GraphEdges): HeapGraph {
  const { edges, edgeStride, edgeTargetOffset } = input;
  const nodeCount = firstEdge.length - 1;
  const edgeCount = edges.length / edgeStride;
  if (firstEdge[nodeCount] !== edgeCount) {
    throw new Error(`edge counts add up to ${firstEdge[nodeCount]} but there are ${edgeCount} edges`);
  }
  const { edgeTypeOffset, ignoredEdgeType } = input;
  const firstRetainer = new Uint32Array(nodeCount + 1);
  for (let offset = 0; offset < edges.length; offset += edgeStride) {
    if (edges[offset + edgeTypeOffset] !== ignoredEdgeType) firstRetainer[edges[offset + edgeTargetOffset] + 1]++;
  }
  for (let node = 0; node < nodeCount; node++) firstRetainer[node + 1] += firstRetainer[node];
  // Each retainer goes to the current start of its target's list, which moves up by one; shifting the starts back
  // afterwards restores them, so the starts are their own cursors.
  const retainerNode = new Uint32Array(firstRetainer[nodeCount]);
  for (let node = 0; node < nodeCount; node++) {
    for (let offset = firstEdge[node] * edgeStride; offset < firstEdge[node + 1] * edgeStride; offset += edgeStride) {
      if (edges[offset + edgeTypeOffset] !== ignoredEdgeType)
        retainerNode[firstRetainer[edges[offset + edgeTargetOffset]]++] = node;
    }
  }
  for (let node = nodeCount; node > 0; node--) firstRetainer[node] = firstRetainer[node - 1];
  firstRetainer[0] = 0;
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
    retainerNode,
  };
}

/** The retaining edges from `from` to `to`: what one entry of `to`'s retainer list stands for. */
export function retainingEdgesBetween(graph: HeapGraph, from: number, to: number): number[] {
  const found: number[] = [];
  for (let edge = graph.firstEdge[from]; edge < graph.firstEdge[from + 1]; edge++) {
    if (graph.edges[edge * graph.edgeStride + graph.edgeTargetOffset] === to && isRetainingEdge(graph, edge)) {
      found.push(edge);
    }
  }
  return found;
}

export function isRetainingEdge(graph: HeapGraph, edge: number): boolean {
  return graph.edges[edge * graph.edgeStride + graph.edgeTypeOffset] !== graph.ignoredEdgeType;
}
