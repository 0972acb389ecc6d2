import { open } from 'node:fs/promises';
import { NumberArrayScanner } from './number-array-scanner';

/** How V8 opens the edge array; a snapshot written otherwise is read by one thread. */
const EDGES_KEY = Buffer.from('"edges":[');
const CHUNK_BYTES = 4 * 1024 * 1024;

/** Where the edge array's numbers start in the file, and how many there are. */
export interface EdgesRead {
  readonly offset: number;
  readonly count: number;
}

/**
 * Reads a snapshot's `edges` array into `into` (sized from the header's `edge_count`), on a thread of its own while
 * another reads the rest of the file. Before the edges come only the header and the node numbers, which cannot hold
 * the key, so its first occurrence is the array; undefined when there is none.
 */
export async function readEdgesSection(
  file: string,
  into: Uint32Array,
  chunkBytes = CHUNK_BYTES,
): Promise<EdgesRead | undefined> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(Math.max(chunkBytes, 2 * EDGES_KEY.length));
    let position = 0;
    let offset = -1;
    // Find the key, keeping the last bytes of each chunk in case it straddles two.
    for (let carried = 0; offset < 0; ) {
      const { bytesRead } = await handle.read(buffer, carried, buffer.length - carried, position);
      if (bytesRead === 0) return undefined;
      const found = buffer.subarray(0, carried + bytesRead).indexOf(EDGES_KEY);
      if (found >= 0) offset = position - carried + found + EDGES_KEY.length;
      else {
        buffer.copy(buffer, 0, carried + bytesRead - EDGES_KEY.length, carried + bytesRead);
        carried = EDGES_KEY.length;
      }
      position += bytesRead;
    }
    const scanner = new NumberArrayScanner(
      into.length,
      (byte) => {
        throw new Error(
          `${file}: not a valid V8 heap snapshot: unexpected ${JSON.stringify(String.fromCharCode(byte))} in "edges"`,
        );
      },
      into,
    );
    for (position = offset; !scanner.closed; ) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
      if (bytesRead === 0) throw new Error(`${file}: the heap snapshot is truncated (file ends inside "edges")`);
      position += bytesRead;
      scanner.scan(bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead), 0);
    }
    return { offset, count: scanner.length };
  } finally {
    await handle.close();
  }
}
