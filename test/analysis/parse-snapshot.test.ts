import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { snapshotThreadsAvailable } from '../../analysis/analysis-threads';
import { edgeName, edgeTarget, nodeName, nodeSelfSize, nodeType } from '../../analysis/heap-snapshot';
import { parseSnapshotFile } from '../../analysis/parse-snapshot';
import { SnapshotScanner } from '../../analysis/snapshot-scanner';

/** A hand-written snapshot in the older layout: no `detachedness`, fields in another order. */
function handWrittenSnapshot(strings: string[]): string {
  return JSON.stringify({
    snapshot: {
      meta: {
        node_fields: ['name', 'type', 'id', 'self_size', 'edge_count', 'trace_node_id'],
        node_types: [['hidden', 'object', 'string', 'object shape'], 'string', 'number', 'number', 'number', 'number'],
        edge_fields: ['type', 'name_or_index', 'to_node'],
        edge_types: [['context', 'element', 'property', 'weak'], 'string_or_number', 'node'],
      },
      node_count: 3,
      edge_count: 3,
    },
    nodes: [0, 0, 1, 0, 2, 0, 1, 1, 3, 32, 1, 0, 2, 2, 5, 16, 0, 0],
    edges: [2, 2, 6, 1, 0, 12, 3, 3, 12],
    locations: [],
    strings,
  });
}

describe('parseSnapshotFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'heapwatch-parse-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a real V8 snapshot exactly like JSON.parse does, across any chunk boundary', async () => {
    // Prepare
    const file = join(dir, 'real.heapsnapshot');
    execFileSync(process.execPath, [
      '-e',
      `globalThis.keep = { 'quote"back\\\\slash': 'naïve ☃ \\u{1F600} \\n tab\\t', [Symbol('s')]: 1 };
       require('v8').writeHeapSnapshot(${JSON.stringify(file)});`,
    ]);
    const expected = JSON.parse(readFileSync(file, 'utf8'));
    // Act
    const snapshot = await parseSnapshotFile(file, { chunkBytes: 4099 });
    // Assess
    const fileFields: string[] = expected.snapshot.meta.node_fields;
    const fields = fileFields.length;
    const kept = ['type', 'name', 'id', 'self_size', 'edge_count'].map((name) => fileFields.indexOf(name));
    kept.sort((a, b) => a - b);
    expect(snapshot.layout.nodeFieldCount).toBe(kept.length);
    expect(Array.from(snapshot.nodes)).toEqual(
      expected.nodes.filter((_: number, i: number) => kept.includes(i % fields)),
    );
    expect(snapshot.strings).toEqual(expected.strings);
    expect(Array.from(snapshot.edges).filter((_, i) => i % 3 === 2)).toEqual(
      expected.edges.filter((_: number, i: number) => i % 3 === 2).map((to: number) => to / fields),
    );
    expect(snapshot.strings.some((text) => text.startsWith('naïve ☃'))).toBe(true);
    expect(snapshot.strings).toContain('quote"back\\slash');
    expect(snapshot.layout.nodeTypes).toContain('object shape');
  });

  it('reads the edge array on a second thread into the same arrays, and falls back to one thread when it must', async () => {
    // Prepare
    const file = join(dir, 'threads.heapsnapshot');
    execFileSync(process.execPath, ['-e', `require('v8').writeHeapSnapshot(${JSON.stringify(file)})`]);
    const spaced = join(dir, 'spaced.heapsnapshot');
    writeFileSync(spaced, readFileSync(file, 'utf8').replace('"edges":[', '"edges" : ['));
    const broken = join(dir, 'broken-edges.heapsnapshot');
    writeFileSync(broken, readFileSync(file, 'utf8').replace(/("edges":\[\d+,\d+),/, '$1;'));
    const oneThread = await parseSnapshotFile(file, { chunkBytes: 4099 });
    const passes = jest.spyOn(SnapshotScanner.prototype, 'finish');
    // Act
    const twoThreads = await parseSnapshotFile(file, { chunkBytes: 4099, threads: 2, threadsFromBytes: 0 });
    const passesWithTheKey = passes.mock.calls.length;
    const withoutTheKey = await parseSnapshotFile(spaced, { chunkBytes: 4099, threads: 2, threadsFromBytes: 0 });
    const passesWithoutTheKey = passes.mock.calls.length - passesWithTheKey;
    passes.mockRestore();
    // Assess
    expect(snapshotThreadsAvailable()).toBe(true);
    expect(Array.from(twoThreads.edges)).toEqual(Array.from(oneThread.edges));
    expect(Array.from(twoThreads.nodes)).toEqual(Array.from(oneThread.nodes));
    expect(twoThreads.strings).toEqual(oneThread.strings);
    expect(passesWithTheKey).toBe(1); // the thread's edges were used, not a second pass
    expect(Array.from(withoutTheKey.edges)).toEqual(Array.from(oneThread.edges));
    expect(passesWithoutTheKey).toBe(2);
    await expect(parseSnapshotFile(broken, { chunkBytes: 4099, threads: 2, threadsFromBytes: 0 })).rejects.toThrow(
      `${broken}: not a valid V8 heap snapshot: unexpected ";" in "edges"`,
    );
  });

  it('reads the layout from meta instead of assuming offsets', async () => {
    // Prepare
    const file = join(dir, 'old-layout.heapsnapshot');
    writeFileSync(file, handWrittenSnapshot(['', 'Thing', 'x', 'weakRef', 'hello\\"']));
    // Act
    const snapshot = await parseSnapshotFile(file, { chunkBytes: 5 });
    // Assess
    expect(snapshot.nodeCount).toBe(3);
    expect(nodeName(snapshot, 1)).toBe('Thing');
    expect(nodeType(snapshot, 1)).toBe('object');
    expect(nodeType(snapshot, 2)).toBe('string');
    expect(edgeName(snapshot, 0)).toBe('x');
    expect(edgeTarget(snapshot, 0)).toBe(1);
    expect(edgeTarget(snapshot, 1)).toBe(2);
    expect(edgeName(snapshot, 2)).toBe('weakRef');
    expect(snapshot.strings[4]).toBe('hello\\"');
  });

  it('accepts any JSON whitespace and negative numbers', async () => {
    // Prepare
    const file = join(dir, 'pretty.heapsnapshot');
    const compact = JSON.parse(handWrittenSnapshot(['', 'Thing', 'x', 'weakRef', 'y']));
    compact.nodes[9] = -1; // the second node's self_size
    writeFileSync(file, JSON.stringify(compact, null, '\t').replace(/\n/g, '\r\n'));
    // Act
    const snapshot = await parseSnapshotFile(file, { chunkBytes: 3 });
    // Assess: the trace_node_id field is not kept, so each node has 5 numbers
    expect(nodeSelfSize(snapshot, 1)).toBe(0xffffffff);
    expect(Array.from(snapshot.nodes.slice(10))).toEqual(compact.nodes.slice(12, 17));
    expect(snapshot.strings).toEqual(['', 'Thing', 'x', 'weakRef', 'y']);
  });

  it('reads numbers cut anywhere by the chunks, up to 10 digits, and refuses a minus inside a number', async () => {
    // Prepare: ids of 10 digits, the largest uint32
    const file = join(dir, 'wide-numbers.heapsnapshot');
    const snapshot = JSON.parse(handWrittenSnapshot(['', 'Thing', 'x', 'weakRef', 'y']));
    snapshot.nodes[2] = 4294967295;
    snapshot.nodes[8] = 1234567890;
    writeFileSync(file, JSON.stringify(snapshot).replace(/,/g, ',\n'));
    const malformed = join(dir, 'minus-inside.heapsnapshot');
    writeFileSync(malformed, JSON.stringify(snapshot).replace('"nodes":[0,0,', '"nodes":[0-0,'));
    const kept = (nodes: number[]) => nodes.filter((_, i) => i % 6 !== 5);
    for (let chunkBytes = 1; chunkBytes <= 64; chunkBytes++) {
      // Act
      const parsed = await parseSnapshotFile(file, { chunkBytes });
      // Assess
      expect({ chunkBytes, nodes: Array.from(parsed.nodes) }).toEqual({ chunkBytes, nodes: kept(snapshot.nodes) });
    }
    await expect(parseSnapshotFile(malformed)).rejects.toThrow(/unexpected "-" in "nodes"/);
  });

  it('names a truncated file', async () => {
    // Prepare
    const file = join(dir, 'truncated.heapsnapshot');
    execFileSync(process.execPath, ['-e', `require('v8').writeHeapSnapshot(${JSON.stringify(file)})`]);
    truncateSync(file, 100_000);
    // Act / Assess
    await expect(parseSnapshotFile(file)).rejects.toThrow(/truncated\.heapsnapshot: the heap snapshot is truncated/);
  });

  it('refuses files that are not heap snapshots', async () => {
    // Prepare
    const json = join(dir, 'package.json');
    writeFileSync(json, JSON.stringify({ name: 'x', version: '1.0.0' }));
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'hello world');
    const empty = join(dir, 'empty.heapsnapshot');
    writeFileSync(empty, '');
    // Act / Assess
    await expect(parseSnapshotFile(json)).rejects.toThrow(/package\.json: not a V8 heap snapshot/);
    await expect(parseSnapshotFile(text)).rejects.toThrow(/notes\.txt: not a valid V8 heap snapshot/);
    await expect(parseSnapshotFile(empty)).rejects.toThrow(/empty/);
    await expect(parseSnapshotFile(join(dir, 'missing.heapsnapshot'))).rejects.toThrow(/cannot open.*ENOENT/);
  });
});
