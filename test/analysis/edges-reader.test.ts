import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readEdgesSection } from '../../analysis/edges-reader';

describe('readEdgesSection', () => {
  const dir = mkdtempSync(join(tmpdir(), 'heapwatch-edges-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds the edge array wherever the chunks cut its key, and reads it whole', async () => {
    // Prepare: V8's layout, small: 40 nodes, 120 edges
    const nodes = Array.from({ length: 40 * 7 }, (_, i) => (i * 7919) % 100_003);
    const edges = Array.from({ length: 120 * 3 }, (_, i) => (i * 104_729) % 4_294_967_291);
    const text =
      '{"snapshot":{"meta":{"node_fields":["type","name","id","self_size","edge_count","trace_node_id","detachedness"]},' +
      `"node_count":40,"edge_count":120},\n"nodes":[${nodes.join(',\n')}],\n"edges":[${edges.join(',\n')}],\n` +
      '"strings":["edges","\\"edges\\":["]}';
    const file = join(dir, 'small.heapsnapshot');
    writeFileSync(file, text);
    const offset = text.indexOf('"edges":[') + '"edges":['.length;
    // Chunks of 18 to 41 bytes put each byte of the key at a chunk's end, and the key in one chunk or across two.
    for (let chunkBytes = 18; chunkBytes <= 41; chunkBytes++) {
      const into = new Uint32Array(edges.length);
      // Act
      const read = await readEdgesSection(file, into, chunkBytes);
      // Assess
      expect({ chunkBytes, read, edges: Array.from(into) }).toEqual({
        chunkBytes,
        read: { offset, count: edges.length },
        edges,
      });
    }
  });
});
