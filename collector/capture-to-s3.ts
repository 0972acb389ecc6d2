import { DeleteObjectCommand, HeadObjectCommand, type S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { type CaptureKind, captureKey, taskPrefix } from '@heapwatch/agent/protocol';
import { CaptureError, errorMessage } from './capture-error';
import { MIN_CAPTURE_BUDGET_MS, type OpenSnapshotOptions, openSnapshot } from './open-snapshot';
import { MAX_SINGLE_PUT_BYTES, type PartOptions, putInParts, putWhole, type S3PutRequest } from './s3-put';
import { DEFAULT_RESPONSE_MS, type SnapshotTimeouts } from './snapshot-request';
import { type CaptureProgress, VerifyingStream } from './verifying-stream';

export interface CaptureToS3Options extends OpenSnapshotOptions, PartOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly cluster: string;
  readonly service: string;
  /**
   * Captures up to this size go up in one PutObject that S3 verifies against the agent's sha256; bigger ones go
   * multipart, hashed here.
   * @default 5 GiB, S3's largest PutObject
   */
  readonly singlePutLimitBytes?: number;
  /** @default the system clock */
  readonly now?: () => Date;
  readonly onProgress?: (progress: CaptureProgress) => void;
}

export interface StoredCapture {
  readonly kind: CaptureKind;
  readonly bucket: string;
  readonly key: string;
  readonly taskId: string;
  readonly bytes: number;
  readonly sha256: string;
  /** ISO time the agent answered. */
  readonly capturedAt: string;
}

/**
 * Captures one snapshot (or heap profile, `kind`) of one task and streams it straight into S3 (never all in memory,
 * never on disk). The object exists only when every byte matched the agent's sha256: up to `singlePutLimitBytes`, S3
 * itself checks it (`ChecksumSHA256` on one PutObject); beyond, the collector hashes the body of a multipart upload,
 * which is aborted on any failure.
 *
 * A streamed body cannot be sent twice, so the SDK does not retry a PutObject that S3 failed (500, 503 SlowDown, a
 * reset connection): the capture itself is taken once more then, if the deadline leaves the time. The task pays one
 * more capture; the series keeps its step.
 */
export async function captureToS3(options: CaptureToS3Options): Promise<StoredCapture> {
  taskPrefix(options.cluster, options.service, options.taskId); // bad names fail before the agent freezes for a capture
  try {
    return await captureOnce(options);
  } catch (error) {
    const timeLeft = options.deadline === undefined || options.deadline - Date.now() > MIN_CAPTURE_BUDGET_MS;
    if (!(error instanceof CaptureError && error.reason === 'upload-failed' && isTransient(error.cause) && timeLeft))
      throw error;
    return captureOnce(options);
  }
}

/** S3's error codes for a request worth sending again (RequestTimeout is a 400: the body came too slowly). */
const TRANSIENT_S3_ERRORS = new Set(['SlowDown', 'InternalError', 'ServiceUnavailable', 'RequestTimeout']);

/** An S3 failure that another attempt may not meet: a server-side error, throttling, or a broken connection. */
function isTransient(error: unknown): boolean {
  if (error instanceof S3ServiceException)
    return (error.$metadata.httpStatusCode ?? 0) >= 500 || TRANSIENT_S3_ERRORS.has(error.name);
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === 'ECONNRESET' || code === 'EPIPE' || code === 'ETIMEDOUT';
}

async function captureOnce(options: CaptureToS3Options): Promise<StoredCapture> {
  const { taskId, bucket } = options;
  const opened = await openSnapshot({ ...options, timeouts: withinDeadline(options) });
  const capturedAt = (options.now ?? (() => new Date()))();
  const kind = options.kind ?? 'heapsnapshot';
  const key = captureKey(options.cluster, options.service, taskId, capturedAt, kind);
  const whole = opened.bytes <= (options.singlePutLimitBytes ?? MAX_SINGLE_PUT_BYTES);
  const verifier = new VerifyingStream(taskId, opened.sha256, opened.bytes, options.onProgress, !whole);
  const abort = new AbortController();
  let streamError: unknown;
  verifier.on('error', (error) => {
    streamError ??= error;
    abort.abort(error);
  });
  opened.body.on('error', (error) => {
    streamError ??=
      error instanceof CaptureError
        ? error
        : new CaptureError(
            taskId,
            'interrupted',
            `the transfer broke after ${verifier.bytes} of ${opened.bytes} bytes (${errorMessage(error)}): the task may have been OOM-killed or restarted; the upload was aborted, nothing was stored`,
            { cause: error },
          );
    verifier.destroy(streamError as Error);
  });
  opened.body.pipe(verifier);
  const deadlineTimer =
    options.deadline === undefined
      ? undefined
      : setTimeout(
          () => {
            const late = new CaptureError(
              taskId,
              'timeout',
              `the transfer was still running at the deadline ${new Date(options.deadline ?? 0).toISOString()} (kept before the Lambda timeout): the upload was aborted, nothing was stored`,
            );
            streamError ??= late;
            opened.body.destroy(late);
            // The body may be all sent while S3 has not answered yet: the request itself ends too.
            abort.abort(late);
          },
          Math.max(0, options.deadline - Date.now()),
        );
  const request: S3PutRequest = {
    s3: options.s3,
    bucket,
    key,
    body: verifier,
    bytes: opened.bytes,
    metadata: {
      'task-id': taskId,
      size: String(opened.bytes),
      sha256: opened.sha256,
      'captured-at': capturedAt.toISOString(),
    },
  };
  try {
    if (whole) await putWhole(request, opened.sha256, abort.signal);
    else await putInParts(request, options);
  } catch (error) {
    opened.body.destroy();
    if (streamError instanceof CaptureError) throw streamError;
    if (error instanceof S3ServiceException && error.name === 'BadDigest')
      throw new CaptureError(
        taskId,
        'checksum-mismatch',
        `the capture arrived corrupted: S3 refused it (BadDigest), its sha256 differs from X-Heapwatch-Sha256 ${opened.sha256}; nothing was stored`,
        { cause: error },
      );
    throw new CaptureError(
      taskId,
      'upload-failed',
      `storing s3://${bucket}/${key} failed: ${errorMessage(streamError ?? error)}`,
      { cause: streamError ?? error },
    );
  } finally {
    clearTimeout(deadlineTimer);
  }
  await assertStoredIntact(options, key, opened.bytes, opened.sha256, whole ? opened.sha256 : verifier.sha256);
  return {
    kind,
    bucket,
    key,
    taskId,
    bytes: opened.bytes,
    sha256: opened.sha256,
    capturedAt: capturedAt.toISOString(),
  };
}

/** The wait for the agent's answer ends at the deadline at the latest. */
function withinDeadline(options: CaptureToS3Options): SnapshotTimeouts | undefined {
  if (options.deadline === undefined) return options.timeouts;
  const left = Math.max(1, options.deadline - Date.now());
  return { ...options.timeouts, responseMs: Math.min(options.timeouts?.responseMs ?? DEFAULT_RESPONSE_MS, left) };
}

/**
 * Defence in depth: whatever S3 ended up holding must be what was verified (its length, and its SHA-256 where S3
 * keeps one), else it is deleted.
 */
async function assertStoredIntact(
  options: CaptureToS3Options,
  key: string,
  bytes: number,
  announcedSha256: string,
  computedSha256: string | undefined,
): Promise<void> {
  const head = await options.s3.send(
    new HeadObjectCommand({ Bucket: options.bucket, Key: key, ChecksumMode: 'ENABLED' }),
  );
  const announcedBase64 = Buffer.from(announcedSha256, 'hex').toString('base64');
  const problem =
    computedSha256 !== announcedSha256
      ? `sha256 ${computedSha256} differs from X-Heapwatch-Sha256 ${announcedSha256}`
      : head.ContentLength !== bytes
        ? `S3 holds ${head.ContentLength} bytes, the agent sent ${bytes}`
        : head.ChecksumSHA256 !== undefined && head.ChecksumSHA256 !== announcedBase64
          ? `S3 holds an object whose SHA-256 is ${head.ChecksumSHA256}, the agent announced ${announcedBase64}`
          : undefined;
  if (problem === undefined) return;
  await options.s3.send(new DeleteObjectCommand({ Bucket: options.bucket, Key: key }));
  throw new CaptureError(options.taskId, 'checksum-mismatch', `${problem}; s3://${options.bucket}/${key} was deleted`);
}
