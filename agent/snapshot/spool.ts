import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { writeHeapSnapshot } from 'node:v8';

export interface SpooledSnapshot {
  readonly path: string;
  readonly sizeBytes: number;
  readonly sha256: string;
  /** How long `v8.writeHeapSnapshot` froze the event loop. */
  readonly writeMs: number;
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/**
 * Writes a heap snapshot to disk and hashes it. A file, not `v8.getHeapSnapshot()`: that stream has no
 * backpressure and would pile the whole snapshot into memory behind a slow reader.
 */
export async function spoolHeapSnapshot(dir: string, fileName: string): Promise<SpooledSnapshot> {
  const path = join(dir, fileName);
  try {
    const started = performance.now();
    writeHeapSnapshot(path);
    const writeMs = performance.now() - started;
    const { size } = await stat(path);
    return { path, sizeBytes: size, sha256: await sha256OfFile(path), writeMs };
  } catch (error) {
    await rm(path, { force: true });
    throw error;
  }
}
