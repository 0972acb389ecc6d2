import { type FileHandle, open } from 'node:fs/promises';
import { SnapshotThreads, snapshotThreadsAvailable } from './analysis-threads';
import type { EdgesRead } from './edges-reader';
import type { HeapSnapshot } from './heap-snapshot';
import { keepUsedNodeFields } from './node-fields';
import { SnapshotScanner } from './snapshot-scanner';

/** Progress of reading one file, reported about every 1% (and at the end). */
export interface ParseProgress {
  readonly file: string;
  readonly bytesRead: number;
  readonly totalBytes: number;
}

export interface ParseOptions {
  /** Called while the file is read. @default - no progress reporting */
  readonly onProgress?: (event: ParseProgress) => void;
  /** Bytes read per `read()` call. @default 4 MiB */
  readonly chunkBytes?: number;
  /**
   * Threads the parse may use. With 2 or more, a thread reads the edge array (about 2/3 of a snapshot's numbers)
   * while this one reads the rest. @default 1
   */
  readonly threads?: number;
  /** Files smaller than this are parsed on one thread: starting another costs more than it saves. @default 64 MiB */
  readonly threadsFromBytes?: number;
}

/** Streams a `.heapsnapshot` from disk into flat typed arrays; works for files larger than V8's max string length. */
export async function parseSnapshotFile(file: string, options: ParseOptions = {}): Promise<HeapSnapshot> {
  const handle = await open(file, 'r').catch((error: NodeJS.ErrnoException) => {
    throw new Error(`${file}: cannot open the heap snapshot (${error.code ?? error.message})`);
  });
  try {
    const totalBytes = (await handle.stat()).size;
    if (totalBytes === 0) throw new Error(`${file}: the file is empty, not a heap snapshot`);
    const edgesThread =
      (options.threads ?? 1) > 1 &&
      totalBytes >= (options.threadsFromBytes ?? 64 * 1024 * 1024) &&
      snapshotThreadsAvailable()
        ? new SnapshotThreads()
        : undefined;
    try {
      const parsed = await parseOpenFile(file, handle, totalBytes, options, edgesThread);
      return parsed ?? (await parseOpenFile(file, handle, totalBytes, options, undefined))!;
    } finally {
      await edgesThread?.close();
    }
  } finally {
    await handle.close();
  }
}

/**
 * Undefined when the edge array could not be read apart (a writer other than V8, a thread that failed): the file is
 * then read again on this thread alone.
 */
async function parseOpenFile(
  file: string,
  handle: FileHandle,
  totalBytes: number,
  options: ParseOptions,
  edgesThread: SnapshotThreads | undefined,
): Promise<HeapSnapshot | undefined> {
  const scanner = new SnapshotScanner(file);
  let edgesElsewhere: { readonly read: Promise<EdgesRead | undefined>; readonly memory: SharedArrayBuffer } | undefined;
  const buffer = Buffer.allocUnsafe(options.chunkBytes ?? 4 * 1024 * 1024);
  const progressStep = Math.max(buffer.length, Math.floor(totalBytes / 100));
  let bytesRead = 0;
  let nextProgress = progressStep;
  for (;;) {
    const { bytesRead: n } = await handle.read(buffer, 0, buffer.length, bytesRead);
    if (n === 0) break;
    scanner.push(n === buffer.length ? buffer : buffer.subarray(0, n));
    bytesRead += n;
    const layout = scanner.headerLayout;
    const declaredEdges = layout?.declaredEdgeCount ?? -1;
    if (
      edgesThread &&
      !edgesElsewhere &&
      layout &&
      Number.isSafeInteger(declaredEdges) &&
      declaredEdges >= 0 &&
      scanner.readEdgesElsewhere()
    ) {
      const memory = new SharedArrayBuffer(declaredEdges * layout.edgeFieldCount * 4);
      const read = edgesThread.readEdges(file, memory);
      read.catch(() => undefined); // awaited below, after this thread's part
      edgesElsewhere = { read, memory };
    }
    if (options.onProgress && bytesRead >= nextProgress) {
      options.onProgress({ file, bytesRead, totalBytes });
      nextProgress = bytesRead + progressStep;
    }
  }
  const scanned = scanner.finish();
  options.onProgress?.({ file, bytesRead, totalBytes });
  const fileLayout = scanned.layout;
  let edges = scanned.edges;
  if (!edges && edgesElsewhere) {
    const numbers = (fileLayout.declaredEdgeCount ?? 0) * fileLayout.edgeFieldCount;
    // A thread that failed, whatever the reason, leaves the edges to this one, which reports what is wrong.
    const read = await edgesElsewhere.read.catch(() => undefined);
    if (read?.offset !== scanned.edgesOffset || read?.count !== numbers) return undefined;
    edges = new Uint32Array(edgesElsewhere.memory, 0, numbers);
  }
  if (!edges) throw new Error(`${file}: not a V8 heap snapshot (missing "edges")`);
  const nodeCount = scanned.nodes.length / fileLayout.nodeFieldCount;
  const edgeCount = edges.length / fileLayout.edgeFieldCount;
  convertEdgeTargetsToNodeIndexes(
    file,
    edges,
    fileLayout.edgeFieldCount,
    fileLayout.edgeToNodeOffset,
    fileLayout.nodeFieldCount,
    nodeCount,
  );
  const { nodes, layout } = keepUsedNodeFields(scanned.nodes, fileLayout);
  checkEdgeCounts(file, nodes, layout.nodeFieldCount, layout.nodeEdgeCountOffset, edgeCount);
  return {
    file,
    fileBytes: totalBytes,
    layout,
    nodeCount,
    edgeCount,
    nodes,
    edges,
    strings: scanned.strings,
  };
}

function convertEdgeTargetsToNodeIndexes(
  file: string,
  edges: Uint32Array,
  stride: number,
  offset: number,
  nodeFieldCount: number,
  nodeCount: number,
): void {
  for (let i = offset; i < edges.length; i += stride) {
    const target = edges[i] / nodeFieldCount;
    if (target >= nodeCount || target % 1 !== 0) {
      throw new Error(`${file}: edge ${(i - offset) / stride} points to offset ${edges[i]}, outside the node array`);
    }
    edges[i] = target;
  }
}

function checkEdgeCounts(file: string, nodes: Uint32Array, stride: number, offset: number, edgeCount: number): void {
  let total = 0;
  for (let i = offset; i < nodes.length; i += stride) total += nodes[i];
  if (total !== edgeCount) {
    throw new Error(`${file}: nodes declare ${total} edges but the edge array holds ${edgeCount}: the file is corrupt`);
  }
}
