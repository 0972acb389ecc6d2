import { CLOSE_BRACKET, COMMA, isWhitespace, MINUS, NEWLINE } from './json-bytes';

/** A uint32 has at most 10 digits: with its separator, a number the fast path starts ends inside the chunk. */
const MAX_NUMBER_BYTES = 12;

/**
 * Reads the body of a JSON array of integers (after its `[`) from chunks into a Uint32Array. Whole numbers between
 * the separators V8 writes (`,` and newline) take a tight loop per number; a number cut by the chunk's end, the
 * chunk's last bytes and rare bytes (other whitespace, a minus sign, the closing `]`) go byte by byte.
 */
export class NumberArrayScanner {
  closed = false;
  private numbers: Uint32Array;
  private count = 0;
  private value = 0;
  private inNumber = false;
  private negative = false;

  /**
   * `capacity`: the numbers expected (the array doubles beyond it). `into`: an array of that capacity to fill, e.g.
   * one over shared memory that another thread reads.
   */
  constructor(
    capacity: number,
    private readonly onUnexpected: (byte: number) => never,
    into?: Uint32Array,
  ) {
    this.numbers = into ?? new Uint32Array(Math.max(capacity, 1024));
  }

  /** How many numbers were read. */
  get length(): number {
    return this.count;
  }

  /** The numbers read, once the array is closed; shares memory when the capacity was exact. */
  values(): Uint32Array {
    return this.count === this.numbers.length ? this.numbers : this.numbers.slice(0, this.count);
  }

  /** Scans from `i`; returns where it stopped (the chunk end, or just after the closing `]`). */
  scan(chunk: Buffer, i: number): number {
    if (this.inNumber || this.negative) {
      // Finish the number the last chunk cut, up to and including its separator.
      let separator = i;
      while (separator < chunk.length && chunk[separator] !== COMMA && chunk[separator] !== NEWLINE) separator++;
      i = this.scanBytes(chunk, i, Math.min(chunk.length, separator + 1));
      if (this.closed) return i;
    }
    if (!this.inNumber && !this.negative) i = this.scanWholeNumbers(chunk, i, chunk.length - MAX_NUMBER_BYTES);
    return this.scanBytes(chunk, i, chunk.length);
  }

  /**
   * Stops before `limit`, at a byte other than a digit or a common separator, at a number not ended by one, or when
   * the array is full: the byte-by-byte path takes over there.
   */
  private scanWholeNumbers(chunk: Buffer, start: number, limit: number): number {
    const numbers = this.numbers;
    const capacity = numbers.length;
    let count = this.count;
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
      for (i++; i - first <= 10; i++) {
        digit = chunk[i] - 48;
        if (digit >>> 0 > 9) break;
        value = value * 10 + digit;
      }
      if (digit !== COMMA - 48 && digit !== NEWLINE - 48) {
        i = first;
        break;
      }
      numbers[count++] = value;
    }
    this.count = count;
    return i;
  }

  /** Digits and the common separators stay in locals; anything else goes to `scanRareByte`. */
  private scanBytes(chunk: Buffer, i: number, end: number): number {
    let value = this.value;
    let digits = this.inNumber ? 1 : 0;
    let negative = this.negative;
    let count = this.count;
    let numbers = this.numbers;
    let capacity = numbers.length;
    for (; i < end; i++) {
      const digit = chunk[i] - 48;
      if (digit >= 0 && digit <= 9) {
        value = value * 10 + digit;
        digits++;
        continue;
      }
      if (digit === COMMA - 48 || digit === NEWLINE - 48) {
        if (digits !== 0) {
          if (count === capacity) {
            numbers = this.grow();
            capacity = numbers.length;
          }
          numbers[count++] = negative ? -value : value;
          negative = false;
          value = 0;
          digits = 0;
        }
        continue;
      }
      this.value = value;
      this.inNumber = digits !== 0;
      this.negative = negative;
      this.count = count;
      if (this.scanRareByte(chunk[i])) return i + 1;
      value = this.value;
      digits = this.inNumber ? 1 : 0;
      negative = this.negative;
      count = this.count;
      numbers = this.numbers;
      capacity = numbers.length;
    }
    this.value = value;
    this.inNumber = digits !== 0;
    this.negative = negative;
    this.count = count;
    return i;
  }

  private grow(): Uint32Array {
    const bigger = new Uint32Array(this.numbers.length * 2);
    bigger.set(this.numbers);
    this.numbers = bigger;
    return bigger;
  }

  /** Other whitespace, a minus sign, the closing bracket. True when the array closed. */
  private scanRareByte(byte: number): boolean {
    if (byte === MINUS && !this.inNumber && !this.negative) {
      this.negative = true;
      return false;
    }
    if (byte !== CLOSE_BRACKET && !isWhitespace(byte)) this.onUnexpected(byte);
    if (this.inNumber) {
      if (this.count === this.numbers.length) this.grow();
      this.numbers[this.count++] = this.negative ? -this.value : this.value;
      this.value = 0;
      this.inNumber = false;
      this.negative = false;
    }
    if (byte === CLOSE_BRACKET) this.closed = true;
    return this.closed;
  }
}
