import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readEdgesSection } from '../../analysis/edges-reader';

describe('readEdgesSection', () => {
  const dir = mkdtempSync(join(tmpdir(), 'heapwatch-edges-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds the edge array wherever the chunks cut its key, and reads it whole', async () => {
    // Prepare
    const file = join(dir, 'real.heapsnapshot');
    execFileSync(process.execPath, ['-e', `require('v8').writeHeapSnapshot(${JSON.stringify(file)})`]);
    const text = readFileSync(file, 'latin1');
    const expected = JSON.parse(readFileSync(file, 'utf8')).edges as number[];
    const offset = text.indexOf('"edges":[') + '"edges":['.length;
    // Chunks of 18 to 41 bytes put each byte of the key at a chunk's end, some run, and the key never in one chunk.
    for (let chunkBytes = 18; chunkBytes <= 41; chunkBytes++) {
      const into = new Uint32Array(expected.length);
      // Act
      const read = await readEdgesSection(file, into, chunkBytes);
      // Assess
      expect({ chunkBytes, read }).toEqual({ chunkBytes, read: { offset, count: expected.length } });
      expect(Array.from(into.subarray(0, 50))).toEqual(expected.slice(0, 50));
      expect(into[into.length - 1]).toBe(expected[expected.length - 1]);
    }
  });
});
