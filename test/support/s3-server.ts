import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { LoopbackS3Server } from './loopback-s3/loopback-s3-server';

/** A request the server refused: its S3 error code (e.g. BadDigest), method and key. */
export interface RefusedRequest {
  readonly code: string;
  readonly method: string;
  readonly key: string;
}

export interface LoopbackS3 {
  readonly client: S3Client;
  readonly endpoint: string;
  readonly bucket: string;
  /** Names of the S3 commands the client sent, in order (to see e.g. AbortMultipartUpload). */
  readonly sentCommands: string[];
  /** Requests the server refused, in order. */
  readonly refused: RefusedRequest[];
  listKeys(prefix?: string): Promise<string[]>;
  /** The next `count` PutObject requests get 503 SlowDown. */
  slowDownNextPuts(count: number): void;
  putText(key: string, body: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * An S3-compatible server (test/support/loopback-s3) on 127.0.0.1, an ephemeral port and its own temp dir, with a
 * client for it. The server verifies Content-Length, CRC32 and SHA-256 as S3 does and stores a body only when all
 * hold; what it answered is stored is served at once.
 */
export async function startLoopbackS3(bucket = 'snapshots'): Promise<LoopbackS3> {
  const directory = await mkdtemp(join(tmpdir(), 'heapwatch-s3-'));
  const refused: RefusedRequest[] = [];
  const loopback = new LoopbackS3Server({
    directory,
    bucket,
    onRefused: (code, method, key) => refused.push({ code, method, key }),
  });
  const server = await loopback.listen();
  const endpoint = `http://127.0.0.1:${server.port}`;
  const client = new S3Client({
    endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: { accessKeyId: 'LOOPBACK', secretAccessKey: 'LOOPBACK' },
  });
  const sentCommands: string[] = [];
  client.middlewareStack.add(
    (next, context) => (args) => {
      sentCommands.push(String(context.commandName));
      return next(args);
    },
    { step: 'initialize', name: 'recordCommandNames' },
  );
  return {
    client,
    endpoint,
    bucket,
    sentCommands,
    refused,
    async listKeys(prefix) {
      const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
      return (listed.Contents ?? []).map((object) => object.Key ?? '');
    },
    slowDownNextPuts: (count) => loopback.slowDownNextPuts(count),
    async putText(key, body) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },
    async close() {
      client.destroy();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
