import type { SnapshotLayout } from './snapshot-meta';

/** The node fields the analysis reads. V8 also writes `trace_node_id` and `detachedness`, which it does not. */
type UsedNodeField =
  | 'nodeTypeOffset'
  | 'nodeNameOffset'
  | 'nodeIdOffset'
  | 'nodeSelfSizeOffset'
  | 'nodeEdgeCountOffset';
const USED_NODE_FIELDS: readonly UsedNodeField[] = [
  'nodeTypeOffset',
  'nodeNameOffset',
  'nodeIdOffset',
  'nodeSelfSizeOffset',
  'nodeEdgeCountOffset',
];

/**
 * Keeps only the node fields the analysis reads, in their order in the file, with the layout that describes what is
 * kept: V8's 7 fields per node become 5, the node array 2/7 smaller. The array is returned as is when it holds no
 * other field.
 */
export function keepUsedNodeFields(
  nodes: Uint32Array,
  layout: SnapshotLayout,
): { nodes: Uint32Array; layout: SnapshotLayout } {
  const kept = USED_NODE_FIELDS.map((field) => layout[field]).sort((a, b) => a - b);
  const stride = layout.nodeFieldCount;
  if (kept.length === stride) return { nodes, layout };
  const nodeCount = nodes.length / stride;
  const width = kept.length;
  const compacted = new Uint32Array(nodeCount * width);
  const [a, b, c, d, e] = kept;
  for (let from = 0, to = 0; to < compacted.length; from += stride, to += width) {
    compacted[to] = nodes[from + a];
    compacted[to + 1] = nodes[from + b];
    compacted[to + 2] = nodes[from + c];
    compacted[to + 3] = nodes[from + d];
    compacted[to + 4] = nodes[from + e];
  }
  const offsets = Object.fromEntries(USED_NODE_FIELDS.map((field) => [field, kept.indexOf(layout[field])]));
  return { nodes: compacted, layout: { ...layout, ...offsets, nodeFieldCount: width } };
}
