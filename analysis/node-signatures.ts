import type { HeapSnapshot } from './heap-snapshot';

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function hashText(text: string): number {
  let hash = FNV_OFFSET;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), FNV_PRIME);
  return hash >>> 0;
}

function combine(typeHash: number, nameHash: number): number {
  return (Math.imul(typeHash, 0x9e3779b1) ^ nameHash) >>> 0;
}

/** The hash of one node's type and name, computed from the snapshot. */
export function nodeSignature(snapshot: HeapSnapshot, node: number): number {
  const { layout, nodes, strings } = snapshot;
  const base = node * layout.nodeFieldCount;
  const type = layout.nodeTypes[nodes[base + layout.nodeTypeOffset]] ?? 'unknown';
  return combine(hashText(type), hashText(strings[nodes[base + layout.nodeNameOffset]] ?? ''));
}

/**
 * Per node, a hash of its type and name: whether one node id names the same object in two snapshots, checked
 * without keeping either snapshot's strings. Each name is hashed once (4 bytes and a flag per string).
 */
export function nodeSignatures(snapshot: HeapSnapshot): Uint32Array {
  const { layout, nodes, strings, nodeCount } = snapshot;
  const typeHashes = layout.nodeTypes.map(hashText);
  const unknownType = hashText('unknown');
  const nameHashes = new Uint32Array(strings.length);
  const hashed = new Uint8Array(strings.length);
  const emptyName = hashText('');
  const signatures = new Uint32Array(nodeCount);
  for (let node = 0, base = 0; node < nodeCount; node++, base += layout.nodeFieldCount) {
    const name = nodes[base + layout.nodeNameOffset];
    let nameHash = emptyName;
    if (name < strings.length) {
      if (hashed[name] === 0) {
        nameHashes[name] = hashText(strings[name]);
        hashed[name] = 1;
      }
      nameHash = nameHashes[name];
    }
    signatures[node] = combine(typeHashes[nodes[base + layout.nodeTypeOffset]] ?? unknownType, nameHash);
  }
  return signatures;
}
