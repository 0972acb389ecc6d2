/**
 * Remembers used token nonces until their tokens can no longer be accepted.
 * Bounded: only correctly signed tokens reach it, and when it is full it refuses new nonces rather than
 * forgetting one that could then be replayed.
 */
export class NonceCache {
  private readonly expiresByNonce = new Map<string, number>();

  constructor(private readonly capacity = 10_000) {}

  /** Returns false when the nonce was already used (or the cache is full of live nonces). */
  claim(nonce: string, forgetAfterSeconds: number, nowSeconds: number): boolean {
    if (this.expiresByNonce.has(nonce)) return false;
    if (this.expiresByNonce.size >= this.capacity) this.prune(nowSeconds);
    if (this.expiresByNonce.size >= this.capacity) return false;
    this.expiresByNonce.set(nonce, forgetAfterSeconds);
    return true;
  }

  get size(): number {
    return this.expiresByNonce.size;
  }

  prune(nowSeconds: number): void {
    for (const [nonce, expires] of this.expiresByNonce) {
      if (expires < nowSeconds) this.expiresByNonce.delete(nonce);
    }
  }
}
