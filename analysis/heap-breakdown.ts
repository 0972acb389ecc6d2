import type { HeapSnapshot } from './heap-snapshot';

/** What the bytes of a heap snapshot are, by the kind of storage that holds them. */
export const STORAGE_KINDS = ['objects', 'strings', 'numbers', 'arrays', 'code', 'off-heap', 'v8-internal'] as const;
export type StorageKind = (typeof STORAGE_KINDS)[number];
export type HeapBreakdown = Readonly<Record<StorageKind, number>>;

/** How a report names each kind of storage. */
export const STORAGE_KIND_PHRASES: Readonly<Record<StorageKind, string>> = {
  objects: 'objects and closures',
  strings: 'strings',
  numbers:
    'numbers stored without an object each (arrays of doubles, Map and Set tables of small integers, heap numbers)',
  arrays: 'array backing stores (elements of arrays, tables of Maps and Sets, object properties)',
  code: 'compiled code',
  'off-heap': 'ArrayBuffer and Buffer contents (outside the JS heap)',
  'v8-internal': 'V8 internals (object shapes, system objects)',
};

/**
 * The storage kind of one node. A backing store whose only outgoing edge is to its map (V8's type descriptor) holds
 * no references: its slots are unboxed doubles or small integers (a `number[]` of doubles, a `Map<number, number>`),
 * so its bytes are numbers.
 */
export function storageKindOf(type: string, name: string, edgeCount: number): StorageKind {
  switch (type) {
    case 'string':
    case 'concatenated string':
    case 'sliced string':
      return 'strings';
    case 'number':
      return 'numbers';
    case 'array':
      return edgeCount <= 1 ? 'numbers' : 'arrays';
    case 'code':
      return 'code';
    case 'native':
      return name.startsWith('system / JSArrayBufferData') ? 'off-heap' : 'objects';
    case 'object':
    case 'closure':
    case 'regexp':
    case 'symbol':
    case 'bigint':
      return 'objects';
    default:
      return 'v8-internal';
  }
}

/** Bytes of the given nodes of a snapshot (its reachable ones) by storage kind. */
export function breakDownHeap(snapshot: HeapSnapshot, counted: Uint32Array): HeapBreakdown {
  const { layout, nodes } = snapshot;
  const totals: Record<StorageKind, number> = {
    objects: 0,
    strings: 0,
    numbers: 0,
    arrays: 0,
    code: 0,
    'off-heap': 0,
    'v8-internal': 0,
  };
  for (const node of counted) {
    totals[storageKindOfNode(snapshot, node)] += nodes[node * layout.nodeFieldCount + layout.nodeSelfSizeOffset];
  }
  return totals;
}

/** The storage kind of node `node` of a snapshot. */
export function storageKindOfNode(snapshot: HeapSnapshot, node: number): StorageKind {
  const { layout, nodes, strings } = snapshot;
  const base = node * layout.nodeFieldCount;
  const type = layout.nodeTypes[nodes[base + layout.nodeTypeOffset]] ?? 'unknown';
  const name = type === 'native' ? (strings[nodes[base + layout.nodeNameOffset]] ?? '') : '';
  return storageKindOf(type, name, nodes[base + layout.nodeEdgeCountOffset]);
}
