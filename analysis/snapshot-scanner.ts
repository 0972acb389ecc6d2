import { readSnapshotLayout, type SnapshotLayout } from './snapshot-meta';
import { StringArrayScanner } from './string-array-scanner';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const MINUS = 0x2d;
const NEWLINE = 0x0a;
/** A uint32 has at most 10 digits: with its separator, a number the fast path starts ends inside the chunk. */
const MAX_NUMBER_BYTES = 12;

enum Mode {
  Start,
  Key,
  Colon,
  Value,
  Numbers,
  Strings,
  Skip,
  Done,
}

/** What the scanner produced from one file. */
export interface ScannedSnapshot {
  readonly layout: SnapshotLayout;
  readonly nodes: Uint32Array;
  readonly edges: Uint32Array;
  readonly strings: string[];
}

function isWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
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

  private numbers: Uint32Array = new Uint32Array(0);
  private numberCount = 0;
  private numberValue = 0;
  private inNumber = false;
  private negative = false;
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
    if (!layout || !this.nodes || !this.edges || !this.sectionsSeen.has('strings')) {
      throw new Error(`${this.file}: not a V8 heap snapshot (missing "snapshot", "nodes", "edges" or "strings")`);
    }
    return { layout, nodes: this.nodes, edges: this.edges, strings: this.strings.values };
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
        this.startNumbers();
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
    this.numbers = new Uint32Array(Math.max(declared, 1024));
    this.numberCount = 0;
    this.numberValue = 0;
    this.inNumber = false;
    this.mode = Mode.Numbers;
  }

  /**
   * The hot loop of the parser. Whole numbers between the separators V8 writes (`,` and newline) take a tight loop
   * per number; a number cut by the chunk's end, the chunk's last bytes and rare bytes go byte by byte.
   */
  private scanNumbers(chunk: Buffer, i: number): number {
    if (this.inNumber || this.negative) {
      // Finish the number the last chunk cut, up to and including its separator.
      let separator = i;
      while (separator < chunk.length && chunk[separator] !== COMMA && chunk[separator] !== NEWLINE) separator++;
      i = this.scanNumberBytes(chunk, i, Math.min(chunk.length, separator + 1));
      if (this.mode !== Mode.Numbers) return i;
    }
    if (!this.inNumber && !this.negative) i = this.scanWholeNumbers(chunk, i, chunk.length - MAX_NUMBER_BYTES);
    return this.scanNumberBytes(chunk, i, chunk.length);
  }

  /** Stops before `limit`, at a byte other than a digit or a common separator, or when the array is full. */
  private scanWholeNumbers(chunk: Buffer, start: number, limit: number): number {
    const numbers = this.numbers;
    const capacity = numbers.length;
    let count = this.numberCount;
    let i = start;
    while (i < limit && count < capacity) {
      let digit = chunk[i] - 48;
      if (digit >>> 0 > 9) {
        if (digit !== COMMA - 48 && digit !== NEWLINE - 48) break;
        i++;
        continue;
      }
      let value = digit;
      const first = i;
      // Bounded: a number of more than 10 digits is left to the byte-by-byte path, which stores it the same way.
      for (i++; i - first <= 10; i++) {
        digit = chunk[i] - 48;
        if (digit >>> 0 > 9) break;
        value = value * 10 + digit;
      }
      if (i - first > 10) {
        i = first;
        break;
      }
      numbers[count++] = value;
    }
    this.numberCount = count;
    return i;
  }

  /** Digits and the common separators stay in locals; anything else goes to `scanNumberSeparator`. */
  private scanNumberBytes(chunk: Buffer, i: number, end: number): number {
    let value = this.numberValue;
    let digits = this.inNumber ? 1 : 0;
    let negative = this.negative;
    let count = this.numberCount;
    let numbers = this.numbers;
    let capacity = numbers.length;
    for (; i < end; i++) {
      const digit = chunk[i] - 48;
      if (digit >= 0 && digit <= 9) {
        value = value * 10 + digit;
        digits++;
        continue;
      }
      if (digit === COMMA - 48 || digit === 0x0a - 48) {
        if (digits !== 0) {
          if (count === capacity) {
            numbers = this.grow(numbers);
            capacity = numbers.length;
          }
          numbers[count++] = value;
          if (negative) {
            numbers[count - 1] = -value;
            negative = false;
          }
          value = 0;
          digits = 0;
        }
        continue;
      }
      this.numberValue = value;
      this.inNumber = digits !== 0;
      this.negative = negative;
      this.numberCount = count;
      this.numbers = numbers;
      if (this.scanNumberSeparator(chunk[i])) return i + 1;
      value = this.numberValue;
      digits = this.inNumber ? 1 : 0;
      negative = this.negative;
      count = this.numberCount;
      numbers = this.numbers;
      capacity = numbers.length;
    }
    this.numberValue = value;
    this.inNumber = digits !== 0;
    this.negative = negative;
    this.numberCount = count;
    this.numbers = numbers;
    return i;
  }

  private grow(numbers: Uint32Array): Uint32Array {
    const bigger = new Uint32Array(numbers.length * 2);
    bigger.set(numbers);
    return bigger;
  }

  /** The rare bytes in a number array: other whitespace, a minus sign, the closing bracket. True when it closed. */
  private scanNumberSeparator(byte: number): boolean {
    if (byte === MINUS && !this.inNumber) {
      this.negative = true;
      return false;
    }
    if (byte !== CLOSE_BRACKET && !isWhitespace(byte)) {
      this.fail(`unexpected ${JSON.stringify(String.fromCharCode(byte))} in "${this.key}"`);
    }
    if (this.inNumber) {
      if (this.numberCount === this.numbers.length) this.numbers = this.grow(this.numbers);
      this.numbers[this.numberCount++] = this.negative ? -this.numberValue : this.numberValue;
      this.numberValue = 0;
      this.inNumber = false;
      this.negative = false;
    }
    if (byte !== CLOSE_BRACKET) return false;
    this.endNumbers();
    return true;
  }

  private endNumbers(): void {
    const layout = this.layout!;
    const stride = this.key === 'nodes' ? layout.nodeFieldCount : layout.edgeFieldCount;
    const declared = this.key === 'nodes' ? layout.declaredNodeCount : layout.declaredEdgeCount;
    if (this.numberCount % stride !== 0) {
      this.fail(`"${this.key}" holds ${this.numberCount} numbers, not a multiple of its ${stride} fields`);
    }
    if (declared !== undefined && declared * stride !== this.numberCount) {
      this.fail(`"${this.key}" holds ${this.numberCount / stride} entries but the header declares ${declared}`);
    }
    const values = this.numberCount === this.numbers.length ? this.numbers : this.numbers.slice(0, this.numberCount);
    if (this.key === 'nodes') this.nodes = values;
    else this.edges = values;
    this.numbers = new Uint32Array(0);
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
