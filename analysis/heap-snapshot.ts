import type { SnapshotLayout } from './snapshot-meta';

/**
 * One parsed heap snapshot in flat typed arrays (the DevTools layout): `nodes` holds `nodeFieldCount` numbers per
 * node (the fields the analysis reads: type, name, id, self size, edge count), `edges` holds `edgeFieldCount`
 * numbers per edge, and an edge's `to_node` is already a node index (not an offset into `nodes`). Node `i`'s edges
 * are the `edge_count` edges after those of nodes `0..i-1`.
 */
export interface HeapSnapshot {
  readonly file: string;
  readonly fileBytes: number;
  readonly layout: SnapshotLayout;
  readonly nodeCount: number;
  readonly edgeCount: number;
  readonly nodes: Uint32Array;
  readonly edges: Uint32Array;
  readonly strings: readonly string[];
}

export function nodeType(snapshot: HeapSnapshot, node: number): string {
  const { layout } = snapshot;
  return layout.nodeTypes[snapshot.nodes[node * layout.nodeFieldCount + layout.nodeTypeOffset]] ?? 'unknown';
}

export function nodeName(snapshot: HeapSnapshot, node: number): string {
  const { layout } = snapshot;
  return snapshot.strings[snapshot.nodes[node * layout.nodeFieldCount + layout.nodeNameOffset]] ?? '';
}

export function nodeId(snapshot: HeapSnapshot, node: number): number {
  return snapshot.nodes[node * snapshot.layout.nodeFieldCount + snapshot.layout.nodeIdOffset];
}

export function nodeSelfSize(snapshot: HeapSnapshot, node: number): number {
  return snapshot.nodes[node * snapshot.layout.nodeFieldCount + snapshot.layout.nodeSelfSizeOffset];
}

export function edgeType(snapshot: HeapSnapshot, edge: number): string {
  const { layout } = snapshot;
  return layout.edgeTypes[snapshot.edges[edge * layout.edgeFieldCount + layout.edgeTypeOffset]] ?? 'unknown';
}

export function edgeTarget(snapshot: HeapSnapshot, edge: number): number {
  return snapshot.edges[edge * snapshot.layout.edgeFieldCount + snapshot.layout.edgeToNodeOffset];
}

/** Property/context names are string indexes; element and hidden edges carry a number. */
export function edgeName(snapshot: HeapSnapshot, edge: number): string {
  const value = snapshot.edges[edge * snapshot.layout.edgeFieldCount + snapshot.layout.edgeNameOffset];
  const type = edgeType(snapshot, edge);
  if (type === 'element' || type === 'hidden') return String(value);
  return snapshot.strings[value] ?? String(value);
}
