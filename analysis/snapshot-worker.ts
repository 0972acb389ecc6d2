import { parentPort, workerData } from 'node:worker_threads';
import { isOutOfMemory, type SnapshotThreadReply, type SnapshotThreadRequest } from './analysis-threads';
import { summarizeSnapshot } from './analyzed-snapshot';
import { ClassTable } from './class-table';
import { readEdgesSection } from './edges-reader';
import { parseSnapshotFile } from './parse-snapshot';
import { packSnapshot } from './snapshot-transfer';

/**
 * Entry point of a thread that analyses one earlier snapshot of a diff (see analysis-threads.ts): parses it, computes
 * its dominators and summary with a class table of its own, and hands the summary back with its arrays transferred.
 * Or it reads a snapshot's edge array into shared memory while the calling thread parses the rest.
 */
async function analyzeRequested(request: SnapshotThreadRequest, port: NonNullable<typeof parentPort>): Promise<void> {
  const reply = (message: SnapshotThreadReply, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
  try {
    if (request.edges) {
      const edgesRead = await readEdgesSection(request.file, new Uint32Array(request.edges));
      reply({ edgesRead: edgesRead ?? null });
      return;
    }
    const classes = new ClassTable();
    const snapshot = await parseSnapshotFile(request.file, { onProgress: (progress) => reply({ progress }) });
    const { message, transfer } = packSnapshot(summarizeSnapshot(snapshot, classes), classes);
    reply({ snapshot: message }, transfer);
  } catch (error) {
    reply({ failure: error instanceof Error ? error.message : String(error), outOfMemory: isOutOfMemory(error) });
  }
}

const request = workerData as SnapshotThreadRequest | undefined;
if (parentPort && request?.heapwatchSnapshotThread === true) void analyzeRequested(request, parentPort);
