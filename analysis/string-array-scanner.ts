import { BACKSLASH, CLOSE_BRACKET, COMMA, isWhitespace, QUOTE } from './json-bytes';

/**
 * Reads the body of a JSON array of strings (after its `[`) from chunks: each string is decoded as UTF-8 and, only
 * when it holds a backslash, unescaped by JSON.parse. Strings may span chunks.
 */
export class StringArrayScanner {
  readonly values: string[] = [];
  closed = false;
  private inString = false;
  private escaped = false;
  private hasEscape = false;
  private pieces: Buffer[] = [];

  constructor(private readonly onUnexpected: (byte: number) => never) {}

  /** Scans from `i`; returns where it stopped (the chunk end, or just after the closing `]`). */
  scan(chunk: Buffer, i: number): number {
    const end = chunk.length;
    while (i < end) {
      if (!this.inString) {
        const byte = chunk[i++];
        if (byte === QUOTE) {
          this.inString = true;
          this.hasEscape = false;
          this.pieces = [];
        } else if (byte === CLOSE_BRACKET) {
          this.closed = true;
          return i;
        } else if (byte !== COMMA && !isWhitespace(byte)) {
          this.onUnexpected(byte);
        }
        continue;
      }
      const start = i;
      let escaped = this.escaped;
      for (; i < end; i++) {
        const byte = chunk[i];
        if (escaped) escaped = false;
        else if (byte === BACKSLASH) {
          escaped = true;
          this.hasEscape = true;
        } else if (byte === QUOTE) break;
      }
      this.escaped = escaped;
      if (i === end) {
        this.pieces.push(Buffer.from(chunk.subarray(start, end)));
        return i;
      }
      const last = chunk.subarray(start, i);
      const bytes = this.pieces.length === 0 ? last : Buffer.concat([...this.pieces, last]);
      const text = bytes.toString('utf8');
      this.values.push(this.hasEscape ? (JSON.parse(`"${text}"`) as string) : text);
      this.inString = false;
      this.pieces = [];
      i++;
    }
    return i;
  }
}
