import type { HeapSnapshot } from './heap-snapshot';

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function hashText(text: string, seed: number): number {
  let hash = seed;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), FNV_PRIME);
  return hash >>> 0;
}

/** A 32-bit hash of a node's type and name. */
export function signatureOf(type: string, name: string): number {
  return hashText(name, hashText(`${type}:`, FNV_OFFSET));
}

/**
 * Per node, a hash of its type and name: whether one node id names the same object in two snapshots, checked
 * without keeping either snapshot's strings. Each distinct (type, name) pair is hashed once.
 */
export function nodeSignatures(snapshot: HeapSnapshot): Uint32Array {
  const { layout, nodes, strings, nodeCount } = snapshot;
  const typeSeeds = layout.nodeTypes.map((type) => hashText(`${type}:`, FNV_OFFSET));
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
      signature = hashText(strings[name] ?? '', typeSeeds[type] ?? hashText('unknown:', FNV_OFFSET));
      cache[slot] = signature;
    }
    signatures[node] = signature;
  }
  return signatures;
}
