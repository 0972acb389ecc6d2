import {
  BACKSLASH,
  CLOSE_BRACE,
  CLOSE_BRACKET,
  COLON,
  COMMA,
  isWhitespace,
  OPEN_BRACE,
  OPEN_BRACKET,
  QUOTE,
} from './json-bytes';
import { NumberArrayScanner } from './number-array-scanner';
import { readSnapshotLayout, type SnapshotLayout } from './snapshot-meta';
import { StringArrayScanner } from './string-array-scanner';

enum Mode {
  Start,
  Key,
  Colon,
  Value,
  Numbers,
  /** The edge array, which another thread reads. */
  Elsewhere,
  Strings,
  Skip,
  Done,
}

/** What the scanner produced from one file. */
export interface ScannedSnapshot {
  readonly layout: SnapshotLayout;
  readonly nodes: Uint32Array;
  /** Undefined when the edge array was left to another thread (see `readEdgesElsewhere`). */
  readonly edges?: Uint32Array;
  /** Where the edge array's numbers start in the file. */
  readonly edgesOffset?: number;
  readonly strings: string[];
}

/**
 * A push-based tokenizer for the `.heapsnapshot` JSON: numbers of `nodes`/`edges` go straight into typed arrays,
 * `strings` are unescaped one by one, every other section is skipped. The file is never one JS string, because it
 * can exceed V8's maximum string length.
 */
export class SnapshotScanner {
  private mode = Mode.Start;
  private key = '';
  private keyBytes: number[] = [];
  private layout?: SnapshotLayout;
  private readonly sectionsSeen = new Set<string>();

  private numberArray?: NumberArrayScanner;
  private edgesElsewhere = false;
  private edgesOffset?: number;
  /** Bytes of the file pushed before the current chunk. */
  private consumed = 0;
  private nodes?: Uint32Array;
  private edges?: Uint32Array;

  private readonly strings = new StringArrayScanner((byte) =>
    this.fail(`unexpected ${JSON.stringify(String.fromCharCode(byte))} in "strings"`),
  );
  private inKey = false;

  private skipDepth = 0;
  private skipInString = false;
  private skipEscaped = false;
  private capture?: Buffer[];

  constructor(private readonly file: string) {}

  /** The header's layout, once it has been read. */
  get headerLayout(): SnapshotLayout | undefined {
    return this.layout;
  }

  /**
   * Skips the edge array (unless it was already reached): another thread reads it. `finish()` then returns its offset
   * instead of the edges.
   */
  readEdgesElsewhere(): boolean {
    if (this.sectionsSeen.has('edges')) return false;
    this.edgesElsewhere = true;
    return true;
  }

  push(chunk: Buffer): void {
    let i = 0;
    const end = chunk.length;
    while (i < end) {
      switch (this.mode) {
        case Mode.Start:
          i = this.scanStart(chunk, i);
          break;
        case Mode.Key:
          i = this.scanKey(chunk, i);
          break;
        case Mode.Colon:
          i = this.scanColon(chunk, i);
          break;
        case Mode.Value:
          i = this.scanValueStart(chunk, i);
          break;
        case Mode.Numbers:
          i = this.scanNumbers(chunk, i);
          break;
        case Mode.Strings:
          i = this.strings.scan(chunk, i);
          if (this.strings.closed) this.mode = Mode.Start;
          break;
        case Mode.Elsewhere: {
          // The edge array holds digits and separators only: its first `]` closes it.
          const close = chunk.indexOf(CLOSE_BRACKET, i);
          i = close < 0 ? end : close + 1;
          if (close >= 0) this.mode = Mode.Start;
          break;
        }
        case Mode.Skip:
          i = this.scanSkip(chunk, i);
          break;
        case Mode.Done:
          for (; i < end; i++) {
            if (!isWhitespace(chunk[i])) this.fail(`unexpected data after the end of the snapshot`);
          }
          break;
      }
    }
    this.consumed += chunk.length;
  }

  /** Call at end of file: checks that every section arrived whole. */
  finish(): ScannedSnapshot {
    if (this.mode !== Mode.Done) {
      const where = this.key ? ` inside "${this.key}"` : '';
      throw new Error(
        `${this.file}: the heap snapshot is truncated (file ends${where}); copy or download it again completely`,
      );
    }
    const layout = this.layout;
    const edges = this.edgesElsewhere ? this.edgesOffset : this.edges;
    if (!layout || !this.nodes || edges === undefined || !this.sectionsSeen.has('strings')) {
      throw new Error(`${this.file}: not a V8 heap snapshot (missing "snapshot", "nodes", "edges" or "strings")`);
    }
    return {
      layout,
      nodes: this.nodes,
      edges: this.edges,
      edgesOffset: this.edgesOffset,
      strings: this.strings.values,
    };
  }

  private fail(message: string): never {
    throw new Error(`${this.file}: not a valid V8 heap snapshot: ${message}`);
  }

  private scanStart(chunk: Buffer, i: number): number {
    for (; i < chunk.length; i++) {
      const byte = chunk[i];
      if (byte === OPEN_BRACE || byte === COMMA) {
        this.mode = Mode.Key;
        this.key = '';
        this.keyBytes = [];
        return i + 1;
      }
      if (byte === CLOSE_BRACE && this.sectionsSeen.size > 0) {
        this.mode = Mode.Done;
        return i + 1;
      }
      if (!isWhitespace(byte)) {
        this.fail(`expected "{" or "," at the top level but found ${JSON.stringify(String.fromCharCode(byte))}`);
      }
    }
    return i;
  }

  private scanKey(chunk: Buffer, i: number): number {
    for (; i < chunk.length; i++) {
      const byte = chunk[i];
      if (byte === QUOTE) {
        if (this.inKey) {
          this.inKey = false;
          this.key = Buffer.from(this.keyBytes).toString('utf8');
          this.mode = Mode.Colon;
          return i + 1;
        }
        this.inKey = true;
      } else if (this.inKey) {
        this.keyBytes.push(byte);
        if (this.keyBytes.length > 256) this.fail('a top-level key is longer than 256 bytes');
      } else if (!isWhitespace(byte)) {
        this.fail(`expected a quoted key at the top level, found ${JSON.stringify(String.fromCharCode(byte))}`);
      }
    }
    return i;
  }

  private scanColon(chunk: Buffer, i: number): number {
    for (; i < chunk.length; i++) {
      const byte = chunk[i];
      if (byte === COLON) {
        this.mode = Mode.Value;
        return i + 1;
      }
      if (!isWhitespace(byte)) this.fail(`expected ":" after "${this.key}"`);
    }
    return i;
  }

  private scanValueStart(chunk: Buffer, i: number): number {
    for (; i < chunk.length; i++) {
      const byte = chunk[i];
      if (isWhitespace(byte)) continue;
      this.sectionsSeen.add(this.key);
      if (this.key === 'snapshot') {
        if (byte !== OPEN_BRACE) this.fail('"snapshot" is not an object');
        this.capture = [];
        this.startSkip();
        return i;
      }
      if (this.key === 'nodes' || this.key === 'edges') {
        if (byte !== OPEN_BRACKET) this.fail(`"${this.key}" is not an array`);
        if (this.key === 'edges' && this.edgesElsewhere) {
          this.edgesOffset = this.consumed + i + 1;
          this.mode = Mode.Elsewhere;
        } else this.startNumbers();
        return i + 1;
      }
      if (this.key === 'strings') {
        if (byte !== OPEN_BRACKET) this.fail('"strings" is not an array');
        this.mode = Mode.Strings;
        return i + 1;
      }
      this.startSkip();
      return i;
    }
    return i;
  }

  private startNumbers(): void {
    const layout = this.layout;
    if (!layout) this.fail(`"${this.key}" comes before the "snapshot" header`);
    const declared =
      this.key === 'nodes'
        ? (layout.declaredNodeCount ?? 0) * layout.nodeFieldCount
        : (layout.declaredEdgeCount ?? 0) * layout.edgeFieldCount;
    this.numberArray = new NumberArrayScanner(declared, (byte) =>
      this.fail(`unexpected ${JSON.stringify(String.fromCharCode(byte))} in "${this.key}"`),
    );
    this.mode = Mode.Numbers;
  }

  private scanNumbers(chunk: Buffer, i: number): number {
    const numberArray = this.numberArray!;
    const next = numberArray.scan(chunk, i);
    if (numberArray.closed) this.endNumbers(numberArray);
    return next;
  }

  private endNumbers(numberArray: NumberArrayScanner): void {
    const layout = this.layout!;
    const stride = this.key === 'nodes' ? layout.nodeFieldCount : layout.edgeFieldCount;
    const declared = this.key === 'nodes' ? layout.declaredNodeCount : layout.declaredEdgeCount;
    const count = numberArray.length;
    if (count % stride !== 0) {
      this.fail(`"${this.key}" holds ${count} numbers, not a multiple of its ${stride} fields`);
    }
    if (declared !== undefined && declared * stride !== count) {
      this.fail(`"${this.key}" holds ${count / stride} entries but the header declares ${declared}`);
    }
    if (this.key === 'nodes') this.nodes = numberArray.values();
    else this.edges = numberArray.values();
    this.numberArray = undefined;
    this.mode = Mode.Start;
  }

  private startSkip(): void {
    this.skipDepth = 0;
    this.skipInString = false;
    this.skipEscaped = false;
    this.mode = Mode.Skip;
  }

  private scanSkip(chunk: Buffer, i: number): number {
    const start = i;
    const end = chunk.length;
    let depth = this.skipDepth;
    let inString = this.skipInString;
    let escaped = this.skipEscaped;
    let done = false;
    for (; i < end; i++) {
      const byte = chunk[i];
      if (inString) {
        if (escaped) escaped = false;
        else if (byte === BACKSLASH) escaped = true;
        else if (byte === QUOTE) inString = false;
      } else if (byte === QUOTE) inString = true;
      else if (byte === OPEN_BRACKET || byte === OPEN_BRACE) depth++;
      else if (byte === CLOSE_BRACKET || byte === CLOSE_BRACE) {
        if (depth === 0) {
          done = true;
          break;
        }
        depth--;
        if (depth === 0) {
          i++;
          done = true;
          break;
        }
      } else if (depth === 0 && (byte === COMMA || isWhitespace(byte))) {
        done = true;
        break;
      }
    }
    this.skipDepth = depth;
    this.skipInString = inString;
    this.skipEscaped = escaped;
    if (this.capture) {
      this.capture.push(Buffer.from(chunk.subarray(start, i)));
      if (done) {
        this.layout = readSnapshotLayout(this.file, Buffer.concat(this.capture).toString('utf8'));
        this.capture = undefined;
      }
    }
    if (done) this.mode = Mode.Start;
    return i;
  }
}
