import { createHash, randomBytes } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TailHasher } from '../../../agent/src/snapshot/tail-hasher';

describe('TailHasher', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'heapwatch-tail-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('hashes a file while the main thread is blocked writing it, like v8.writeHeapSnapshot', async () => {
    // Prepare
    const path = join(dir, 'growing.heapsnapshot');
    const chunks = Array.from({ length: 40 }, () => randomBytes(256 * 1024));
    const hasher = await TailHasher.start(path);
    // Act: synchronous appends with pauses, never yielding to the event loop
    const fd = openSync(path, 'w');
    for (const chunk of chunks) {
      writeSync(fd, chunk);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
    }
    closeSync(fd);
    const size = chunks.reduce((total, chunk) => total + chunk.length, 0);
    // Assess
    const expected = createHash('sha256');
    for (const chunk of chunks) expected.update(chunk);
    expect(await hasher.finish(size)).toBe(expected.digest('hex'));
  });

  it('stops when aborted before the file ever appears', async () => {
    const hasher = await TailHasher.start(join(dir, 'never-written'));
    hasher.abort();
    await expect(hasher.finish(10)).rejects.toThrow(/aborted/);
  });

  it('fails, rather than waiting forever, when the finished file is missing', async () => {
    const hasher = await TailHasher.start(join(dir, 'never-written'));
    await expect(hasher.finish(10)).rejects.toThrow(/ENOENT/);
  });
});
