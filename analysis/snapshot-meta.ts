/**
 * Field layout of a `.heapsnapshot`, read from its `snapshot.meta` instead of assuming V8's current offsets. A parsed
 * snapshot's layout describes its arrays as kept: nodes hold only the fields the analysis reads (see node-fields.ts).
 */
export interface SnapshotLayout {
  readonly nodeFieldCount: number;
  readonly edgeFieldCount: number;
  readonly nodeTypeOffset: number;
  readonly nodeNameOffset: number;
  readonly nodeIdOffset: number;
  readonly nodeSelfSizeOffset: number;
  readonly nodeEdgeCountOffset: number;
  readonly edgeTypeOffset: number;
  readonly edgeNameOffset: number;
  readonly edgeToNodeOffset: number;
  readonly nodeTypes: readonly string[];
  readonly edgeTypes: readonly string[];
  /** From `snapshot.node_count`; undefined when the writer did not record it. */
  readonly declaredNodeCount?: number;
  readonly declaredEdgeCount?: number;
}

interface RawMeta {
  readonly node_fields?: unknown;
  readonly node_types?: unknown;
  readonly edge_fields?: unknown;
  readonly edge_types?: unknown;
}

function fieldOffset(file: string, fields: readonly string[], kind: string, name: string): number {
  const offset = fields.indexOf(name);
  if (offset < 0) {
    throw new Error(
      `${file}: the heap snapshot meta has no ${kind} field "${name}" (fields: ${fields.join(', ')}); ` +
        'write the snapshot with Node.js >= 12 (v8.writeHeapSnapshot)',
    );
  }
  return offset;
}

function stringList(file: string, value: unknown, what: string): string[] {
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new Error(`${file}: snapshot.meta.${what} is not a list of names: this is not a V8 heap snapshot`);
  }
  return value;
}

/** Parses the JSON text of the top-level `snapshot` object (a few KB) into a layout. */
export function readSnapshotLayout(file: string, snapshotJson: string): SnapshotLayout {
  let snapshot: { meta?: RawMeta; node_count?: unknown; edge_count?: unknown };
  try {
    snapshot = JSON.parse(snapshotJson);
  } catch (error) {
    throw new Error(`${file}: the "snapshot" header is not valid JSON (${(error as Error).message})`);
  }
  const meta = snapshot?.meta;
  if (!meta) throw new Error(`${file}: the "snapshot" header has no "meta": this is not a V8 heap snapshot`);
  const nodeFields = stringList(file, meta.node_fields, 'node_fields');
  const edgeFields = stringList(file, meta.edge_fields, 'edge_fields');
  const nodeTypes = Array.isArray(meta.node_types) ? stringList(file, meta.node_types[0], 'node_types[0]') : [];
  const edgeTypes = Array.isArray(meta.edge_types) ? stringList(file, meta.edge_types[0], 'edge_types[0]') : [];
  return {
    nodeFieldCount: nodeFields.length,
    edgeFieldCount: edgeFields.length,
    nodeTypeOffset: fieldOffset(file, nodeFields, 'node', 'type'),
    nodeNameOffset: fieldOffset(file, nodeFields, 'node', 'name'),
    nodeIdOffset: fieldOffset(file, nodeFields, 'node', 'id'),
    nodeSelfSizeOffset: fieldOffset(file, nodeFields, 'node', 'self_size'),
    nodeEdgeCountOffset: fieldOffset(file, nodeFields, 'node', 'edge_count'),
    edgeTypeOffset: fieldOffset(file, edgeFields, 'edge', 'type'),
    edgeNameOffset: fieldOffset(file, edgeFields, 'edge', 'name_or_index'),
    edgeToNodeOffset: fieldOffset(file, edgeFields, 'edge', 'to_node'),
    nodeTypes,
    edgeTypes,
    declaredNodeCount: typeof snapshot.node_count === 'number' ? snapshot.node_count : undefined,
    declaredEdgeCount: typeof snapshot.edge_count === 'number' ? snapshot.edge_count : undefined,
  };
}
