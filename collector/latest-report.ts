import { GetObjectCommand, PutObjectCommand, type S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import type { LeakReport } from './leak-report';
import type { ReportKeys } from './series';

/** `latest-report.json`: where the newest series' report of a task is. */
export interface LatestReportPointer {
  /** When the series started; also its id in the report's key. */
  readonly startedAt: string;
  readonly verdict: LeakReport['verdict'];
  readonly bucket: string;
  readonly report: ReportKeys;
}

/** What became of the pointer: moved to this series, or kept on a newer one. */
export type PointerOutcome = 'moved' | 'kept';

/** Each lost race means another series moved the pointer forward, so a few more than the series of one task. */
const MAX_ATTEMPTS = 10;

/**
 * Moves a task's latest-report pointer to this series unless it already names a newer one: series of one task can
 * finish out of order, and at the same time. Every write is conditional (S3's `If-None-Match: *` to create it,
 * `If-Match: <ETag>` to replace the version read), so a concurrent move is never overwritten: the loser looks again.
 * Needs GetObject and PutObject only; reading a pointer that does not exist never happens, so no ListBucket either.
 */
export async function pointLatestAt(s3: S3Client, key: string, pointer: LatestReportPointer): Promise<PointerOutcome> {
  const body = `${JSON.stringify(pointer, null, 2)}\n`;
  const put = (condition: { IfNoneMatch: '*' } | { IfMatch: string }) =>
    s3.send(
      new PutObjectCommand({
        Bucket: pointer.bucket,
        Key: key,
        Body: body,
        ContentType: 'application/json',
        ...condition,
      }),
    );
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    if (await unlessConflict(() => put({ IfNoneMatch: '*' }))) return 'moved';
    const current = await s3.send(new GetObjectCommand({ Bucket: pointer.bucket, Key: key }));
    const named = startedAtOf((await current.Body?.transformToString()) ?? '');
    if (named !== undefined && Date.parse(named) > Date.parse(pointer.startedAt)) return 'kept';
    if (await unlessConflict(() => put({ IfMatch: current.ETag ?? '' }))) return 'moved';
  }
  throw new Error(`s3://${pointer.bucket}/${key} kept changing under ${MAX_ATTEMPTS} attempts to move it`);
}

/** Runs a conditional write: true when it was stored, false when S3 refused its condition (412, or 409 in a race). */
async function unlessConflict(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (error) {
    const status = error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined;
    if (status === 412 || status === 409) return false;
    throw error;
  }
}

/** The series a pointer names; undefined for a damaged pointer, which is then replaced. */
function startedAtOf(text: string): string | undefined {
  try {
    const parsed = JSON.parse(text) as Partial<LatestReportPointer>;
    return typeof parsed.startedAt === 'string' ? parsed.startedAt : undefined;
  } catch {
    return undefined;
  }
}
