import type { HeapSnapshot } from './heap-snapshot';

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function hashText(text: string, seed: number): number {
  let hash = seed;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), FNV_PRIME);
  return hash >>> 0;
}

/** The hash of one node's type and name, computed from the snapshot. */
export function nodeSignature(snapshot: HeapSnapshot, node: number): number {
  const { layout, nodes, strings } = snapshot;
  const base = node * layout.nodeFieldCount;
  const type = layout.nodeTypes[nodes[base + layout.nodeTypeOffset]] ?? 'unknown';
  return hashText(strings[nodes[base + layout.nodeNameOffset]] ?? '', hashText(`${type}:`, FNV_OFFSET));
}

/**
 * Per node, a hash of its type and name: whether one node id names the same object in two snapshots, checked
 * without keeping either snapshot's strings. Each distinct (type, name) pair is hashed once.
 */
export function nodeSignatures(snapshot: HeapSnapshot): Uint32Array {
  const { layout, nodes, strings, nodeCount } = snapshot;
  const typeSeeds = layout.nodeTypes.map((type) => hashText(`${type}:`, FNV_OFFSET));
  const unknownSeed = hashText('unknown:', FNV_OFFSET);
  const byName = layout.nodeTypes.map(() => undefined as Float64Array | undefined);
  const signatures = new Uint32Array(nodeCount);
  for (let node = 0, base = 0; node < nodeCount; node++, base += layout.nodeFieldCount) {
    const type = nodes[base + layout.nodeTypeOffset];
    const name = nodes[base + layout.nodeNameOffset];
    let cache = byName[type];
    if (!cache) {
      cache = new Float64Array(strings.length + 1).fill(-1);
      byName[type] = cache;
    }
    const slot = Math.min(name, strings.length);
    let signature = cache[slot];
    if (signature < 0) {
      signature = hashText(strings[name] ?? '', typeSeeds[type] ?? unknownSeed);
      cache[slot] = signature;
    }
    signatures[node] = signature;
  }
  return signatures;
}
