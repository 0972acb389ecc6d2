import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32 } from 'node:zlib';
import { S3Error } from './s3-error';

/** One stored body: an object put in one go, or one part of a multipart upload. */
export interface StoredBody {
  /** Undefined when the server does not keep bytes. */
  readonly path?: string;
  readonly bytes: number;
  readonly etag: string;
  /** Base64 SHA-256 of the body, when the client sent `x-amz-checksum-sha256` (and it matched). */
  readonly sha256?: string;
}

/** The checksums S3 verifies that this server verifies too; any other is refused rather than silently ignored. */
const CHECKSUM_HEADERS = new Set(['x-amz-checksum-crc32', 'x-amz-checksum-sha256']);

/**
 * Streams a request body to `path` (or nowhere), then checks it as S3 does before anything is stored: its length
 * against Content-Length (400 IncompleteBody) and its CRC32 and SHA-256 against `x-amz-checksum-crc32` and
 * `x-amz-checksum-sha256` when sent (400 BadDigest). A body that fails a check, or whose client went away, is removed.
 */
export async function storeBody(req: IncomingMessage, path: string | undefined): Promise<StoredBody> {
  if (req.headers['x-amz-decoded-content-length'] !== undefined)
    throw new S3Error(
      501,
      'NotImplemented',
      'aws-chunked bodies are not supported by this server: send Content-Length',
    );
  for (const name of Object.keys(req.headers))
    if (name.startsWith('x-amz-checksum-') && name !== 'x-amz-checksum-mode' && !CHECKSUM_HEADERS.has(name))
      throw new S3Error(501, 'NotImplemented', `${name} is not verified by this server: use CRC32 or SHA-256`);
  const expected = Number(req.headers['content-length']);
  if (!Number.isSafeInteger(expected)) throw new S3Error(411, 'MissingContentLength', 'Content-Length is required');
  const sentSha256 = header(req, 'x-amz-checksum-sha256');
  const sha256 = sentSha256 === undefined ? undefined : createHash('sha256');
  let bytes = 0;
  let checksum = 0;
  const count = (chunk: Buffer) => {
    bytes += chunk.length;
    checksum = crc32(chunk, checksum);
    sha256?.update(chunk);
  };
  try {
    if (path === undefined) {
      for await (const chunk of req) count(chunk as Buffer);
    } else {
      const counter = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          count(chunk);
          done(null, chunk);
        },
      });
      await pipeline(req, counter, createWriteStream(path));
    }
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(checksum >>> 0);
    const sentCrc = header(req, 'x-amz-checksum-crc32');
    if (bytes !== expected)
      throw new S3Error(400, 'IncompleteBody', `received ${bytes} bytes, Content-Length said ${expected}`);
    if (sentCrc !== undefined && sentCrc !== crc.toString('base64'))
      throw new S3Error(
        400,
        'BadDigest',
        `CRC32 ${crc.toString('base64')} differs from x-amz-checksum-crc32 ${sentCrc}`,
      );
    const digest = sha256?.digest('base64');
    if (digest !== sentSha256)
      throw new S3Error(
        400,
        'BadDigest',
        `The SHA256 you specified did not match the calculated checksum: ${digest} differs from x-amz-checksum-sha256 ${sentSha256}`,
      );
    return { path, bytes, etag: `"${crc.toString('hex')}${bytes.toString(16)}"`, sha256: digest };
  } catch (error) {
    if (path !== undefined) await rm(path, { force: true });
    throw error;
  }
}

export async function removeBody(body: StoredBody): Promise<void> {
  if (body.path !== undefined) await rm(body.path, { force: true });
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
}
