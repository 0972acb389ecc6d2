import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';

export interface LoopbackS3 {
  readonly client: S3Client;
  readonly endpoint: string;
  readonly bucket: string;
  /** Names of the S3 commands the client sent, in order (to see e.g. AbortMultipartUpload). */
  readonly sentCommands: string[];
  listKeys(prefix?: string): Promise<string[]>;
  /**
   * Puts a small object and returns once the server serves it: s3rver answers a PutObject before its file is
   * written, so a read right after it may find the object empty.
   */
  putText(key: string, body: string): Promise<void>;
  close(): Promise<void>;
}

/** A real S3-compatible server (s3rver) on 127.0.0.1, an ephemeral port and its own temp dir. */
export async function startLoopbackS3(bucket = 'snapshots'): Promise<LoopbackS3> {
  const directory = await mkdtemp(join(tmpdir(), 'heapwatch-s3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket, configs: [] }],
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
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
    async listKeys(prefix) {
      const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
      return (listed.Contents ?? []).map((object) => object.Key ?? '');
    },
    async putText(key, body) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
      for (let read = 1; ; read += 1) {
        const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        if ((await object.Body?.transformToString()) === body) return;
        if (read === 1000) throw new Error(`s3rver still does not serve what was put at ${key}`);
        await sleep(10);
      }
    },
    async close() {
      client.destroy();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
