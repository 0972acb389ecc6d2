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
  const kindIndexOf = storageKindIndexReader(snapshot);
  const bytes = new Float64Array(STORAGE_KINDS.length);
  for (let i = 0; i < counted.length; i++) {
    const node = counted[i];
    bytes[kindIndexOf(node)] += nodes[node * layout.nodeFieldCount + layout.nodeSelfSizeOffset];
  }
  return Object.fromEntries(STORAGE_KINDS.map((kind, index) => [kind, bytes[index]])) as Record<StorageKind, number>;
}

/** The storage kind of any node of one snapshot. */
export function storageKindReader(snapshot: HeapSnapshot): (node: number) => StorageKind {
  const kindIndexOf = storageKindIndexReader(snapshot);
  return (node) => STORAGE_KINDS[kindIndexOf(node)];
}

/**
 * The index in STORAGE_KINDS of any node's kind, decided once per node type, and once per name for native nodes
 * (the only type whose kind depends on its name).
 */
function storageKindIndexReader(snapshot: HeapSnapshot): (node: number) => number {
  const { layout, nodes, strings } = snapshot;
  const stride = layout.nodeFieldCount;
  const typeOffset = layout.nodeTypeOffset;
  const nameOffset = layout.nodeNameOffset;
  const edgeCountOffset = layout.nodeEdgeCountOffset;
  const arrayType = layout.nodeTypes.indexOf('array');
  const nativeType = layout.nodeTypes.indexOf('native');
  const numbers = STORAGE_KINDS.indexOf('numbers');
  const arrays = STORAGE_KINDS.indexOf('arrays');
  const kindOfType = layout.nodeTypes.map((type) => STORAGE_KINDS.indexOf(storageKindOf(type, '', 0)));
  const kindOfNativeName = new Map<number, number>();
  return (node) => {
    const base = node * stride;
    const type = nodes[base + typeOffset];
    if (type === arrayType) return nodes[base + edgeCountOffset] <= 1 ? numbers : arrays;
    if (type === nativeType) {
      const name = nodes[base + nameOffset];
      let kind = kindOfNativeName.get(name);
      if (kind === undefined) {
        kind = STORAGE_KINDS.indexOf(storageKindOf('native', strings[name] ?? '', 0));
        kindOfNativeName.set(name, kind);
      }
      return kind;
    }
    return kindOfType[type] ?? STORAGE_KINDS.indexOf('v8-internal');
  };
}
