import type { Readable } from 'node:stream';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { signPartsWithoutPayloadHash } from './unsigned-part-payload';

/** S3's largest PutObject; a bigger body goes up in parts. */
export const MAX_SINGLE_PUT_BYTES = 5 * 1024 ** 3;

/**
 * Measured by bench:collector over HTTPS at 2 GiB: 5 MiB × 1 in flight peaked at 130–131 MiB RSS, 5 MiB × 2 at
 * 147–148 MiB and 8 MiB × 2 at ~159 MiB (TLS holds each part's encrypted copy while it is sent), all at the same
 * throughput within the noise, because the collector's CPU, not the wait for S3, is the limit there.
 */
export const DEFAULT_PART_SIZE = 5 * 1024 * 1024;
/** S3 allows 10,000 parts; a little room is kept. */
const MAX_PARTS = 9_500;
export const DEFAULT_QUEUE_SIZE = 1;

/** Where and what to store: the same for both ways of putting. */
export interface S3PutRequest {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly key: string;
  readonly body: Readable;
  readonly bytes: number;
  readonly metadata: Record<string, string>;
}

/**
 * One streaming PutObject that S3 verifies against the SHA-256 announced before the body (`ChecksumSHA256`): a body
 * whose bytes differ is refused (400 BadDigest) and nothing is stored. Atomic, and no second hash on this side.
 * `abortSignal` ends the request: an error of the body does not reach a PutObject in flight by itself.
 */
export async function putWhole(request: S3PutRequest, sha256Hex: string, abortSignal: AbortSignal): Promise<void> {
  await request.s3.send(
    new PutObjectCommand({
      Bucket: request.bucket,
      Key: request.key,
      Body: request.body,
      ContentLength: request.bytes,
      ContentType: 'application/json',
      ChecksumSHA256: Buffer.from(sha256Hex, 'hex').toString('base64'),
      Metadata: request.metadata,
    }),
    { abortSignal },
  );
}

export interface PartOptions {
  /**
   * S3 multipart part size; memory use is about (queueSize + 1) × partSize whatever the body size.
   * @default 5 MiB (S3's minimum), more only for bodies beyond 9,500 parts (~46 GiB)
   */
  readonly partSizeBytes?: number;
  /** Parts uploaded at once; with 1, the next part is read once the current one is stored. @default 1 */
  readonly queueSize?: number;
}

/**
 * A multipart upload, for bodies beyond S3's single-put limit. S3 offers no whole-object SHA-256 for multipart
 * uploads (each part carries its own CRC32), so the caller hashes the body on its way and checks the result. An error
 * of the body fails the upload, which is then aborted: no part is left behind.
 */
export async function putInParts(request: S3PutRequest, options: PartOptions): Promise<void> {
  signPartsWithoutPayloadHash(request.s3);
  const upload = new Upload({
    client: request.s3,
    params: {
      Bucket: request.bucket,
      Key: request.key,
      Body: request.body,
      ContentLength: request.bytes,
      ContentType: 'application/json',
      Metadata: request.metadata,
    },
    partSize: options.partSizeBytes ?? Math.max(DEFAULT_PART_SIZE, Math.ceil(request.bytes / MAX_PARTS)),
    queueSize: options.queueSize ?? DEFAULT_QUEUE_SIZE,
    leavePartsOnError: false,
  });
  await upload.done();
}
