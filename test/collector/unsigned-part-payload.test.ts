import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { Agent, createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { PutObjectCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { signPartsWithoutPayloadHash } from '../../collector/unsigned-part-payload';

const TLS_DIR = join(__dirname, '..', 'support', 'tls');
const certificate = readFileSync(join(TLS_DIR, 'loopback.crt'));
const BODY = Buffer.alloc(64 * 1024, 'x');
const BODY_SHA256 = createHash('sha256').update(BODY).digest('hex');

/** Records the headers of every request and answers like S3 does to a PutObject or an UploadPart. */
async function startRecorder(tls: boolean) {
  const seen: IncomingHttpHeaders[] = [];
  const listener = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
    seen.push(req.headers);
    req.resume();
    req.on('end', () => res.writeHead(200, { etag: '"part"' }).end());
  };
  const server: Server = tls
    ? createHttpsServer({ key: readFileSync(join(TLS_DIR, 'loopback.key')), cert: certificate }, listener)
    : createHttpServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new S3Client({
    endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    requestHandler: { httpsAgent: new Agent({ ca: certificate }) },
  });
  signPartsWithoutPayloadHash(client);
  signPartsWithoutPayloadHash(client); // a second call changes nothing
  return { client, seen, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const uploadPart = new UploadPartCommand({ Bucket: 'b', Key: 'k', UploadId: 'u', PartNumber: 1, Body: BODY });

describe('signPartsWithoutPayloadHash', () => {
  it('signs parts sent over HTTPS without hashing their payload, keeping the signed CRC32 that S3 verifies', async () => {
    const recorder = await startRecorder(true);
    try {
      await recorder.client.send(uploadPart);
      const [headers] = recorder.seen;
      expect(headers?.['x-amz-content-sha256']).toBe('UNSIGNED-PAYLOAD');
      expect(headers?.['x-amz-checksum-crc32']).toMatch(/^[A-Za-z0-9+/]{6}==$/);
      const signed = /SignedHeaders=([^,]+)/.exec(String(headers?.authorization))?.[1]?.split(';');
      expect(signed).toEqual(expect.arrayContaining(['x-amz-checksum-crc32', 'x-amz-content-sha256']));
    } finally {
      recorder.client.destroy();
      await recorder.close();
    }
  });

  it('keeps the payload hash for other commands and for plain-HTTP endpoints', async () => {
    const https = await startRecorder(true);
    const http = await startRecorder(false);
    try {
      await https.client.send(new PutObjectCommand({ Bucket: 'b', Key: 'k', Body: BODY }));
      await http.client.send(uploadPart);
      expect(https.seen[0]?.['x-amz-content-sha256']).toBe(BODY_SHA256);
      expect(http.seen[0]?.['x-amz-content-sha256']).toBe(BODY_SHA256);
    } finally {
      for (const recorder of [https, http]) {
        recorder.client.destroy();
        await recorder.close();
      }
    }
  });
});
