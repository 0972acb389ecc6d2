import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { CaptureError } from './capture-error';

export interface CaptureProgress {
  readonly bytes: number;
  readonly totalBytes: number;
}

/**
 * Passes the snapshot through while counting (and, with `checkSha256`, hashing) it, and fails at the end — before the
 * sink commits anything — when the bytes are not the ones the agent announced (`Content-Length`, `X-Heapwatch-Sha256`).
 * Without `checkSha256` the sink verifies the hash itself (S3's `ChecksumSHA256`).
 */
export class VerifyingStream extends Transform {
  private readonly hash?: Hash;
  private count = 0;
  private digest?: string;

  constructor(
    private readonly taskId: string,
    private readonly expectedSha256: string,
    private readonly expectedBytes: number,
    private readonly onProgress?: (progress: CaptureProgress) => void,
    checkSha256 = true,
  ) {
    super();
    if (checkSha256) this.hash = createHash('sha256');
  }

  get bytes(): number {
    return this.count;
  }

  /** The sha256 of everything that passed, once the stream has ended (with `checkSha256`). */
  get sha256(): string | undefined {
    return this.digest;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash?.update(chunk);
    this.count += chunk.length;
    if (this.count > this.expectedBytes) {
      callback(this.mismatch(`more bytes than the announced Content-Length ${this.expectedBytes}`));
      return;
    }
    this.onProgress?.({ bytes: this.count, totalBytes: this.expectedBytes });
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.digest = this.hash?.digest('hex');
    if (this.count !== this.expectedBytes) {
      callback(this.mismatch(`received ${this.count} of ${this.expectedBytes} bytes`));
    } else if (this.hash !== undefined && this.digest !== this.expectedSha256) {
      callback(this.mismatch(`sha256 ${this.digest} differs from X-Heapwatch-Sha256 ${this.expectedSha256}`));
    } else {
      callback();
    }
  }

  private mismatch(what: string): CaptureError {
    return new CaptureError(
      this.taskId,
      'checksum-mismatch',
      `the snapshot arrived corrupted (${what}); nothing was kept`,
    );
  }
}
