import type { ClassTable } from './class-table';
import { computeDominators, computeRetainedSizes } from './dominators';
import { breakDownHeap, type HeapBreakdown } from './heap-breakdown';
import { buildHeapGraph, type HeapGraph } from './heap-graph';
import type { HeapSnapshot } from './heap-snapshot';
import { NodeIdIndex } from './node-id-index';

/** Fingerprints of some nodes (id → type and name), to tell whether two snapshots come from one process. */
export interface IdentitySample {
  readonly ids: Uint32Array;
  readonly signatures: readonly string[];
}

/**
 * What the diff keeps of one snapshot once the big arrays can go: per node its id, class, self and retained size and
 * dominator, plus the dominator tree's preorder (about 30 bytes per node instead of the snapshot's ~80).
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
    totalSize: retained[graph.rootNode],
    breakdown: breakDownHeap(snapshot, tree.preorder),
    identitySample: sampleIdentities(snapshot, idIndex),
    snapshot,
    graph,
  };
}

/** Drops the snapshot and its graph, keeping the per-node summary. */
export function compact(analyzed: FullyAnalyzedSnapshot): AnalyzedSnapshot {
  const { snapshot: _snapshot, graph: _graph, ...rest } = analyzed;
  return rest;
}

export function nodeSignature(snapshot: HeapSnapshot, node: number): string {
  const { layout, nodes, strings } = snapshot;
  const base = node * layout.nodeFieldCount;
  return `${nodes[base + layout.nodeTypeOffset]}:${strings[nodes[base + layout.nodeNameOffset]] ?? ''}`;
}

/** The youngest heap objects (highest odd ids) are the ones specific to this process, unlike the bootstrap heap. */
function sampleIdentities(snapshot: HeapSnapshot, idIndex: NodeIdIndex): IdentitySample {
  const ids: number[] = [];
  const signatures: string[] = [];
  for (let i = idIndex.sortedIds.length - 1; i >= 0 && ids.length < IDENTITY_SAMPLE_SIZE; i--) {
    if (idIndex.sortedIds[i] % 2 === 0) continue;
    ids.push(idIndex.sortedIds[i]);
    signatures.push(nodeSignature(snapshot, idIndex.nodeBySortedPosition[i]));
  }
  return { ids: Uint32Array.from(ids), signatures };
}
