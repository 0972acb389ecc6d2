import type { AnalyzedSnapshot, IdentitySample, SnapshotSummary } from './analyzed-snapshot';
import type { ClassTable } from './class-table';
import type { HeapBreakdown } from './heap-breakdown';
import { NodeIdIndex } from './node-id-index';

/**
 * A snapshot's summary as one thread hands it to another: the typed arrays move (transferred, not copied), and the
 * class ids refer to the sending thread's own class table, sent along.
 */
export interface TransferredSnapshot {
  readonly file: string;
  readonly fileBytes: number;
  readonly nodeCount: number;
  readonly edgeCount: number;
  readonly ids: Uint32Array;
  readonly sortedIds: Uint32Array;
  readonly nodeBySortedPosition: Uint32Array;
  readonly classIds: Uint32Array;
  readonly classNames: readonly string[];
  readonly classUserLevel: readonly boolean[];
  readonly selfSizes: Uint32Array;
  readonly idom: Uint32Array;
  readonly preorder: Uint32Array;
  readonly retained: Float64Array;
  readonly signatures: Uint32Array;
  readonly totalSize: number;
  readonly breakdown: HeapBreakdown;
  readonly identitySample: IdentitySample;
}

/** The summary of a snapshot classified with its own `classes`, and the buffers to transfer with it. */
export function packSnapshot(
  summary: SnapshotSummary,
  classes: ClassTable,
): { message: TransferredSnapshot; transfer: ArrayBuffer[] } {
  const message: TransferredSnapshot = {
    file: summary.file,
    fileBytes: summary.fileBytes,
    nodeCount: summary.nodeCount,
    edgeCount: summary.edgeCount,
    ids: summary.ids,
    sortedIds: summary.idIndex.sortedIds,
    nodeBySortedPosition: summary.idIndex.nodeBySortedPosition,
    classIds: summary.classIds,
    classNames: classes.names,
    classUserLevel: classes.userLevel,
    selfSizes: summary.selfSizes,
    idom: summary.idom,
    preorder: summary.preorder,
    retained: summary.retained,
    signatures: summary.signatures,
    totalSize: summary.totalSize,
    breakdown: summary.breakdown,
    identitySample: summary.identitySample,
  };
  const arrays = [
    message.ids,
    message.sortedIds,
    message.nodeBySortedPosition,
    message.classIds,
    message.selfSizes,
    message.idom,
    message.preorder,
    message.retained,
    message.signatures,
    message.identitySample.ids,
    message.identitySample.signatures,
  ];
  return { message, transfer: [...new Set(arrays.map((array) => array.buffer as ArrayBuffer))] };
}

/** The summary again, its class ids rewritten to `classes` (the diff's shared table). */
export function unpackSnapshot(message: TransferredSnapshot, classes: ClassTable): AnalyzedSnapshot {
  const { sortedIds, nodeBySortedPosition, classNames, classUserLevel, ...summary } = message;
  classes.absorb(classNames, classUserLevel, summary.classIds);
  const { signatures } = summary;
  return {
    ...summary,
    idIndex: new NodeIdIndex(summary.ids, { sortedIds, nodeBySortedPosition }),
    signatureOf: (node) => signatures[node],
  };
}

/** A summary made on this thread with its own class table, rewritten to the shared one like a transferred one. */
export function adoptSnapshot<T extends AnalyzedSnapshot>(summary: T, own: ClassTable, shared: ClassTable): T {
  if (own !== shared) shared.absorb(own.names, own.userLevel, summary.classIds);
  return summary;
}
