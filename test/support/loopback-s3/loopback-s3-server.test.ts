import { createHash } from 'node:crypto';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
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
});
