/** A Uint32Array that is sized exactly when the length is known up front and doubles when it is not. */
export class GrowableUint32 {
  private array: Uint32Array;
  length = 0;

  constructor(initialCapacity: number) {
    this.array = new Uint32Array(Math.max(16, initialCapacity));
  }

  push(value: number): void {
    if (this.length === this.array.length) {
      const bigger = new Uint32Array(this.array.length * 2);
      bigger.set(this.array);
      this.array = bigger;
    }
    this.array[this.length++] = value;
  }

  /** The filled part; shares memory when the array is exactly full. */
  toArray(): Uint32Array {
    return this.length === this.array.length ? this.array : this.array.slice(0, this.length);
  }
}
