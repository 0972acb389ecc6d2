import { DeleteObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { type CaptureKind, captureKey, taskPrefix } from '@heapwatch/agent/protocol';
import { CaptureError, errorMessage } from './capture-error';
import { type OpenSnapshotOptions, openSnapshot } from './open-snapshot';
import { DEFAULT_RESPONSE_MS, type SnapshotTimeouts } from './snapshot-request';
import { signPartsWithoutPayloadHash } from './unsigned-part-payload';
import { type CaptureProgress, VerifyingStream } from './verifying-stream';

export interface CaptureToS3Options extends OpenSnapshotOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly cluster: string;
  readonly service: string;
  /**
   * S3 multipart part size; memory use is about (queueSize + 1) × partSize whatever the snapshot size.
   * @default 5 MiB (S3's minimum), more only for snapshots beyond 9,500 parts (~46 GiB)
   */
  readonly partSizeBytes?: number;
  /** Parts uploaded at once; with 1, the next part is read once the current one is stored. @default 1 */
  readonly queueSize?: number;
  /** @default the system clock */
  readonly now?: () => Date;
  readonly onProgress?: (progress: CaptureProgress) => void;
  /** Give up (and abort the upload) at this time, in epoch ms — e.g. before the Lambda times out. @default none */
  readonly deadline?: number;
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
 * Measured by bench:collector over HTTPS at 2 GiB: 5 MiB × 1 in flight peaked at 130–131 MiB RSS, 5 MiB × 2 at
 * 147–148 MiB and 8 MiB × 2 at ~159 MiB (TLS holds each part's encrypted copy while it is sent), all at the same
 * throughput within the noise, because the collector's CPU, not the wait for S3, is the limit there.
 */
export const DEFAULT_PART_SIZE = 5 * 1024 * 1024;
/** S3 allows 10,000 parts; a little room is kept. */
const MAX_PARTS = 9_500;
export const DEFAULT_QUEUE_SIZE = 1;

/**
 * Captures one snapshot (or heap profile, `kind`) of one task and streams it straight into S3 (never all in memory,
 * never on disk). The object exists only when every byte matched the agent's sha256; on any failure the multipart
 * upload is aborted.
 */
export async function captureToS3(options: CaptureToS3Options): Promise<StoredCapture> {
  const { taskId, bucket } = options;
  taskPrefix(options.cluster, options.service, taskId); // bad names fail before the agent freezes for a capture
  const opened = await openSnapshot({ ...options, timeouts: withinDeadline(options) });
  const capturedAt = (options.now ?? (() => new Date()))();
  const kind = options.kind ?? 'heapsnapshot';
  const key = captureKey(options.cluster, options.service, taskId, capturedAt, kind);
  const verifier = new VerifyingStream(taskId, opened.sha256, opened.bytes, options.onProgress);
  let streamError: unknown;
  verifier.on('error', (error) => {
    streamError ??= error;
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
          () =>
            opened.body.destroy(
              new CaptureError(
                taskId,
                'timeout',
                `the transfer was still running at the deadline ${new Date(options.deadline ?? 0).toISOString()} (kept before the Lambda timeout): the upload was aborted, nothing was stored`,
              ),
            ),
          Math.max(0, options.deadline - Date.now()),
        );

  signPartsWithoutPayloadHash(options.s3);
  const upload = new Upload({
    client: options.s3,
    params: {
      Bucket: bucket,
      Key: key,
      Body: verifier,
      ContentLength: opened.bytes,
      ContentType: 'application/json',
      Metadata: {
        'task-id': taskId,
        size: String(opened.bytes),
        sha256: opened.sha256,
        'captured-at': capturedAt.toISOString(),
      },
    },
    partSize: options.partSizeBytes ?? Math.max(DEFAULT_PART_SIZE, Math.ceil(opened.bytes / MAX_PARTS)),
    queueSize: options.queueSize ?? DEFAULT_QUEUE_SIZE,
    leavePartsOnError: false,
  });
  try {
    await upload.done();
  } catch (error) {
    clearTimeout(deadlineTimer);
    opened.body.destroy();
    if (streamError instanceof CaptureError) throw streamError;
    throw new CaptureError(
      taskId,
      'upload-failed',
      `storing s3://${bucket}/${key} failed: ${errorMessage(streamError ?? error)}`,
      { cause: streamError ?? error },
    );
  }
  clearTimeout(deadlineTimer);
  await assertStoredIntact(options, key, opened.bytes, opened.sha256, verifier.sha256);
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

/** Defence in depth: whatever S3 ended up holding must be what was verified, else it is deleted. */
async function assertStoredIntact(
  options: CaptureToS3Options,
  key: string,
  bytes: number,
  announcedSha256: string,
  computedSha256: string | undefined,
): Promise<void> {
  const head = await options.s3.send(new HeadObjectCommand({ Bucket: options.bucket, Key: key }));
  const problem =
    computedSha256 !== announcedSha256
      ? `sha256 ${computedSha256} differs from X-Heapwatch-Sha256 ${announcedSha256}`
      : head.ContentLength !== bytes
        ? `S3 holds ${head.ContentLength} bytes, the agent sent ${bytes}`
        : undefined;
  if (problem === undefined) return;
  await options.s3.send(new DeleteObjectCommand({ Bucket: options.bucket, Key: key }));
  throw new CaptureError(options.taskId, 'checksum-mismatch', `${problem}; s3://${options.bucket}/${key} was deleted`);
}
