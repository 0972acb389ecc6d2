import type { ClassTable } from './class-table';
import { computeDominators, computeRetainedSizes } from './dominators';
import { breakDownHeap, type HeapBreakdown } from './heap-breakdown';
import { buildHeapGraph, type HeapGraph } from './heap-graph';
import type { HeapSnapshot } from './heap-snapshot';
import { NodeIdIndex } from './node-id-index';
import { nodeSignature, nodeSignatures } from './node-signatures';

/** Fingerprints of some nodes (id → hash of type and name), to tell whether two snapshots come from one process. */
export interface IdentitySample {
  readonly ids: Uint32Array;
  readonly signatures: Uint32Array;
}

/**
 * What the diff keeps of one snapshot once the big arrays can go: per node its id, class, self and retained size,
 * dominator and a hash of its type and name, plus the id index and the dominator tree's preorder (about 40 bytes per
 * node; the snapshot file holds ~80).
 */
export interface AnalyzedSnapshot {
  readonly file: string;
  readonly fileBytes: number;
  readonly nodeCount: number;
  readonly edgeCount: number;
  readonly ids: Uint32Array;
  readonly idIndex: NodeIdIndex;
  readonly classIds: Uint32Array;
  readonly selfSizes: Uint32Array;
  readonly idom: Uint32Array;
  readonly preorder: Uint32Array;
  readonly retained: Float64Array;
  /** A hash of a node's type and name (see node-signatures.ts). */
  readonly signatureOf: (node: number) => number;
  readonly totalSize: number;
  /** Bytes of the reachable heap by storage kind. */
  readonly breakdown: HeapBreakdown;
  readonly identitySample: IdentitySample;
}

/** The last snapshot of a diff also keeps its graph, to walk retainer paths. */
export interface FullyAnalyzedSnapshot extends AnalyzedSnapshot {
  readonly snapshot: HeapSnapshot;
  readonly graph: HeapGraph;
}

const IDENTITY_SAMPLE_SIZE = 20_000;

/** Everything the diff needs of a snapshot, its graph included (the last snapshot of a diff). */
export function analyzeSnapshot(snapshot: HeapSnapshot, classes: ClassTable): FullyAnalyzedSnapshot {
  const { layout, nodes, nodeCount } = snapshot;
  const graph = buildHeapGraph(snapshot);
  const tree = computeDominators(graph);
  // After the dominators, whose scratch arrays are the peak of the analysis.
  const ids = new Uint32Array(nodeCount);
  const selfSizes = new Uint32Array(nodeCount);
  for (let node = 0, base = 0; node < nodeCount; node++, base += layout.nodeFieldCount) {
    ids[node] = nodes[base + layout.nodeIdOffset];
    selfSizes[node] = nodes[base + layout.nodeSelfSizeOffset];
  }
  const retained = computeRetainedSizes(tree, selfSizes);
  const idIndex = new NodeIdIndex(ids);
  const signatureOf = (node: number) => nodeSignature(snapshot, node);
  return {
    file: snapshot.file,
    fileBytes: snapshot.fileBytes,
    nodeCount,
    edgeCount: snapshot.edgeCount,
    ids,
    idIndex,
    classIds: classes.classify(snapshot),
    selfSizes,
    idom: tree.idom,
    preorder: tree.preorder,
    retained,
    signatureOf,
    totalSize: retained[graph.rootNode],
    breakdown: breakDownHeap(snapshot, tree.preorder),
    identitySample: sampleIdentities(idIndex, signatureOf),
    snapshot,
    graph,
  };
}

/** The summary only (earlier snapshots of a diff). */
export function summarizeSnapshot(snapshot: HeapSnapshot, classes: ClassTable): SnapshotSummary {
  return compact(analyzeSnapshot(snapshot, classes));
}

/** A summary's node signatures: computed once for every node, as the snapshot they come from goes. */
export interface SnapshotSummary extends AnalyzedSnapshot {
  readonly signatures: Uint32Array;
}

/** Drops the snapshot and its graph, keeping the per-node summary. */
export function compact(analyzed: FullyAnalyzedSnapshot): SnapshotSummary {
  const { snapshot, graph: _graph, ...rest } = analyzed;
  const signatures = nodeSignatures(snapshot);
  return { ...rest, signatures, signatureOf: (node) => signatures[node] };
}

/** The youngest heap objects (highest odd ids) are the ones specific to this process, unlike the bootstrap heap. */
function sampleIdentities(idIndex: NodeIdIndex, signatureOf: (node: number) => number): IdentitySample {
  const ids: number[] = [];
  const sampled: number[] = [];
  for (let i = idIndex.sortedIds.length - 1; i >= 0 && ids.length < IDENTITY_SAMPLE_SIZE; i--) {
    if (idIndex.sortedIds[i] % 2 === 0) continue;
    ids.push(idIndex.sortedIds[i]);
    sampled.push(signatureOf(idIndex.nodeBySortedPosition[i]));
  }
  return { ids: Uint32Array.from(ids), signatures: Uint32Array.from(sampled) };
}
