import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { type LoopbackS3, startLoopbackS3 } from '../s3-server';

/** The loopback S3 stands in for S3 in tests and bench:collector, so it must refuse what S3 refuses. */
describe('loopback S3 server', () => {
  let s3: LoopbackS3;
  beforeAll(async () => {
    s3 = await startLoopbackS3();
  });
  afterAll(async () => {
    await s3?.close();
  });

  const body = Buffer.from('{"snapshot":{}}'.repeat(1000));
  const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('base64');

  test('stores a body whose SHA-256 matches x-amz-checksum-sha256, serves it at once and reports the checksum', async () => {
    // Act
    await s3.client.send(
      new PutObjectCommand({ Bucket: s3.bucket, Key: 'good/object', Body: body, ChecksumSHA256: sha256(body) }),
    );

    // Assess
    const head = await s3.client.send(
      new HeadObjectCommand({ Bucket: s3.bucket, Key: 'good/object', ChecksumMode: 'ENABLED' }),
    );
    expect(head.ContentLength).toBe(body.length);
    expect(head.ChecksumSHA256).toBe(sha256(body));
    const read = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: 'good/object' }));
    expect(Buffer.from(await read.Body!.transformToByteArray())).toEqual(body);
  });

  test('refuses a body with one flipped byte as S3 does (400 BadDigest) and stores nothing', async () => {
    // Prepare
    const flipped = Buffer.from(body);
    flipped[500] = (flipped[500] ?? 0) ^ 0x01;

    // Act
    const put = s3.client.send(
      new PutObjectCommand({ Bucket: s3.bucket, Key: 'bad/object', Body: flipped, ChecksumSHA256: sha256(body) }),
    );

    // Assess
    await expect(put).rejects.toMatchObject({ name: 'BadDigest', $metadata: { httpStatusCode: 400 } });
    expect(await s3.listKeys('bad/')).toEqual([]);
  });

  test('keeps the previous object when a replacement is refused', async () => {
    // Prepare
    await s3.putText('kept/object', 'first');

    // Act
    const put = s3.client.send(
      new PutObjectCommand({
        Bucket: s3.bucket,
        Key: 'kept/object',
        Body: body,
        ChecksumSHA256: sha256(Buffer.from('x')),
      }),
    );

    // Assess
    await expect(put).rejects.toMatchObject({ name: 'BadDigest' });
    const read = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: 'kept/object' }));
    expect(await read.Body!.transformToString()).toBe('first');
  });

  test('refuses a body whose CRC32 differs from x-amz-checksum-crc32 (BadDigest)', async () => {
    // Act
    const put = s3.client.send(
      new PutObjectCommand({ Bucket: s3.bucket, Key: 'crc/object', Body: body, ChecksumCRC32: 'AAAAAA==' }),
    );

    // Assess
    await expect(put).rejects.toMatchObject({ name: 'BadDigest', $metadata: { httpStatusCode: 400 } });
    expect(await s3.listKeys('crc/')).toEqual([]);
  });

  test.each([
    [{ 'x-amz-checksum-crc32c': 'AAAAAA==' }, /x-amz-checksum-crc32c is not verified by this server/],
    [{ 'x-amz-decoded-content-length': '5' }, /aws-chunked bodies are not supported/],
  ])('refuses what it would not check, rather than store it unchecked: %p', async (headers, message) => {
    // Act: a raw request, as the SDK would not send these by itself here
    const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const sent = request(
        `${s3.endpoint}/${s3.bucket}/unchecked/object`,
        { method: 'PUT', headers: { 'content-length': '5', ...headers } },
        (response) => {
          let text = '';
          response.setEncoding('utf8').on('data', (chunk) => {
            text += chunk;
          });
          response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
        },
      );
      sent.on('error', reject).end('hello');
    });

    // Assess
    expect(answer.status).toBe(501);
    expect(answer.text).toMatch(message);
    expect(await s3.listKeys('unchecked/')).toEqual([]);
  });

  test('stores a multipart upload as its parts, checked part by part, and serves them as one object', async () => {
    // Prepare: 11 MiB in three parts of S3's minimum size
    const big = Buffer.alloc(11 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4096) big.writeUInt32BE(i, i);

    // Act
    await new Upload({
      client: s3.client,
      params: { Bucket: s3.bucket, Key: 'parts/object', Body: big },
      partSize: 5 * 1024 * 1024,
    }).done();

    // Assess
    expect(s3.sentCommands).toContain('CompleteMultipartUploadCommand');
    const head = await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: 'parts/object' }));
    expect(head).toMatchObject({ ContentLength: big.length, ETag: expect.stringMatching(/-3"$/) });
    const read = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: 'parts/object' }));
    expect(Buffer.from(await read.Body!.transformToByteArray()).equals(big)).toBe(true);
  });
});
