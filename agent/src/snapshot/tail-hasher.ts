import { once } from 'node:events';
import { Worker } from 'node:worker_threads';

/**
 * Runs in a worker thread while the main thread is blocked in `v8.writeHeapSnapshot`: V8 appends to the file
 * sequentially, so the worker hashes what is already written and is nearly done when the write returns.
 * Plain JavaScript, so the worker needs no TypeScript loader.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { openSync, readSync, closeSync } = require('node:fs');
const { createHash } = require('node:crypto');
const finalSize = new BigInt64Array(workerData.finalSize);
const nap = new Int32Array(new SharedArrayBuffer(4));
const hash = createHash('sha256');
const buffer = Buffer.allocUnsafe(1 << 20);
let fd;
let offset = 0;
for (;;) {
  const final = Atomics.load(finalSize, 0);
  if (final === -2n) { if (fd !== undefined) closeSync(fd); parentPort.postMessage({ aborted: true }); break; }
  if (fd === undefined) {
    try { fd = openSync(workerData.path, 'r'); } catch (error) {
      if (final >= 0n) { parentPort.postMessage({ error: String(error) }); break; }
      Atomics.wait(nap, 0, 0, 5);
      continue;
    }
  }
  const read = readSync(fd, buffer, 0, buffer.length, offset);
  if (read > 0) { hash.update(buffer.subarray(0, read)); offset += read; continue; }
  if (final >= 0n && BigInt(offset) >= final) {
    closeSync(fd);
    parentPort.postMessage({ sha256: hash.digest('hex'), bytes: offset });
    break;
  }
  Atomics.wait(nap, 0, 0, 5);
}
`;

const WRITING = -1n;
const ABORTED = -2n;

/** Hashes a file while another thread writes it; `finish(size)` once the writer is done. */
export class TailHasher {
  private readonly result: Promise<{ sha256?: string; bytes?: number; aborted?: boolean; error?: string }>;
  private aborted = false;

  private constructor(
    private readonly worker: Worker,
    private readonly finalSize: BigInt64Array,
  ) {
    this.result = Promise.race([
      once(worker, 'message').then(([message]) => message),
      once(worker, 'exit').then(([code]) => Promise.reject(new Error(`hash worker exited with ${code}`))),
    ]);
    this.result.catch(() => undefined);
  }

  /** Resolves when the worker runs, so it can read while the main thread is blocked. */
  static async start(path: string): Promise<TailHasher> {
    const finalSize = new BigInt64Array(new SharedArrayBuffer(8));
    finalSize[0] = WRITING;
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      execArgv: [],
      workerData: { path, finalSize: finalSize.buffer },
    });
    const hasher = new TailHasher(worker, finalSize);
    await once(worker, 'online');
    return hasher;
  }

  /** The sha256 of the first `sizeBytes` bytes, once the worker has read them all. */
  async finish(sizeBytes: number): Promise<string> {
    if (this.aborted) throw new Error('hash worker was aborted');
    Atomics.store(this.finalSize, 0, BigInt(sizeBytes));
    const message = await this.result;
    if (message.sha256 === undefined || message.bytes !== sizeBytes) {
      throw new Error(message.error ?? `hash worker read ${message.bytes} of ${sizeBytes} bytes`);
    }
    return message.sha256;
  }

  /** Stops the worker (the write failed). */
  abort(): void {
    this.aborted = true;
    Atomics.store(this.finalSize, 0, ABORTED);
    void this.result.finally(() => this.worker.terminate()).catch(() => undefined);
  }
}
