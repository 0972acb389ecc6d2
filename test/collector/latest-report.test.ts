import { GetObjectCommand } from '@aws-sdk/client-s3';
import { type LatestReportPointer, pointLatestAt } from '../../collector/latest-report';
import { type LoopbackS3, startLoopbackS3 } from '../support/s3-server';

describe('pointLatestAt', () => {
  let s3: LoopbackS3;
  beforeAll(async () => {
    s3 = await startLoopbackS3();
  });
  afterAll(async () => {
    await s3?.close();
  });

  const pointer = (startedAt: string): LatestReportPointer => ({
    startedAt,
    verdict: 'leak',
    bucket: s3.bucket,
    report: { json: `${startedAt}/report.json`, md: `${startedAt}/report.md`, html: `${startedAt}/report.html` },
  });
  const read = async (key: string) =>
    JSON.parse(
      (await (await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }))).Body?.transformToString()) ??
        '',
    ) as LatestReportPointer;

  test('creates the pointer, moves it to a newer series and keeps it from an older one', async () => {
    // Act
    const created = await pointLatestAt(s3.client, 'a/latest-report.json', pointer('2026-12-06T10:00:00.000Z'));
    const moved = await pointLatestAt(s3.client, 'a/latest-report.json', pointer('2026-12-06T11:00:00.000Z'));
    const kept = await pointLatestAt(s3.client, 'a/latest-report.json', pointer('2026-12-06T10:30:00.000Z'));

    // Assess
    expect([created, moved, kept]).toEqual(['moved', 'moved', 'kept']);
    expect((await read('a/latest-report.json')).startedAt).toBe('2026-12-06T11:00:00.000Z');
  });

  test('series finishing at the same moment leave the newest named, whatever the interleaving', async () => {
    // Prepare: 8 series of one task, finishing together in scrambled order
    const starts = [3, 7, 1, 5, 0, 6, 2, 4].map((hour) => `2026-12-06T0${hour}:00:00.000Z`);

    // Act
    const outcomes = await Promise.all(
      starts.map((startedAt) => pointLatestAt(s3.client, 'b/latest-report.json', pointer(startedAt))),
    );

    // Assess
    expect((await read('b/latest-report.json')).startedAt).toBe('2026-12-06T07:00:00.000Z');
    expect(outcomes).toContain('moved');
  });

  test('replaces a damaged pointer', async () => {
    // Prepare
    await s3.putText('c/latest-report.json', '{not json');

    // Act
    const outcome = await pointLatestAt(s3.client, 'c/latest-report.json', pointer('2026-12-06T10:00:00.000Z'));

    // Assess
    expect(outcome).toBe('moved');
    expect((await read('c/latest-report.json')).startedAt).toBe('2026-12-06T10:00:00.000Z');
  });
});
