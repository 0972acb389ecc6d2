import { open } from 'node:fs/promises';
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
}

/** Streams a `.heapsnapshot` from disk into flat typed arrays; works for files larger than V8's max string length. */
export async function parseSnapshotFile(file: string, options: ParseOptions = {}): Promise<HeapSnapshot> {
  const handle = await open(file, 'r').catch((error: NodeJS.ErrnoException) => {
    throw new Error(`${file}: cannot open the heap snapshot (${error.code ?? error.message})`);
  });
  try {
    const totalBytes = (await handle.stat()).size;
    if (totalBytes === 0) throw new Error(`${file}: the file is empty, not a heap snapshot`);
    const scanner = new SnapshotScanner(file);
    const buffer = Buffer.allocUnsafe(options.chunkBytes ?? 4 * 1024 * 1024);
    const progressStep = Math.max(buffer.length, Math.floor(totalBytes / 100));
    let bytesRead = 0;
    let nextProgress = progressStep;
    for (;;) {
      const { bytesRead: n } = await handle.read(buffer, 0, buffer.length, bytesRead);
      if (n === 0) break;
      scanner.push(n === buffer.length ? buffer : buffer.subarray(0, n));
      bytesRead += n;
      if (options.onProgress && bytesRead >= nextProgress) {
        options.onProgress({ file, bytesRead, totalBytes });
        nextProgress = bytesRead + progressStep;
      }
    }
    const scanned = scanner.finish();
    options.onProgress?.({ file, bytesRead, totalBytes });
    const fileLayout = scanned.layout;
    const nodeCount = scanned.nodes.length / fileLayout.nodeFieldCount;
    const edgeCount = scanned.edges.length / fileLayout.edgeFieldCount;
    convertEdgeTargetsToNodeIndexes(
      file,
      scanned.edges,
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
      edges: scanned.edges,
      strings: scanned.strings,
    };
  } finally {
    await handle.close();
  }
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
