import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { type LeakReport, pickForDiff, type SeriesAnalyzer } from './leak-report';
import { reportKeys, type SeriesState } from './series';
import {
  failureText,
  formatBytes,
  type ReportLocations,
  type SeriesFailure,
  summarySubject,
  summaryText,
} from './series-summary';

export interface ReportSeriesDependencies<R extends LeakReport = LeakReport> {
  readonly s3: S3Client;
  readonly sns: SNSClient;
  readonly topicArn: string;
  readonly analyzer: SeriesAnalyzer<R>;
  /** Largest snapshot analysed here; bigger series get a report saying how to run the diff locally. */
  readonly maxSnapshotBytes: number;
  /** Where snapshots are downloaded (Lambda: /tmp). */
  readonly workDir: string;
  /** Suspects in the report. @default 10 */
  readonly top?: number;
}

export type SeriesInput = Partial<SeriesState> & { readonly failure?: SeriesFailure };

export interface SeriesOutcome {
  readonly verdict: LeakReport['verdict'] | 'failed';
  readonly locations?: ReportLocations;
  readonly analysed: boolean;
}

/**
 * Last step of a series: diff the snapshots (when there are two or more and they fit), write report.json/.md/.html
 * beside them and publish a short summary. Also reached after a failed step, which the summary then reports.
 */
export async function reportSeries<R extends LeakReport>(
  input: SeriesInput,
  deps: ReportSeriesDependencies<R>,
): Promise<SeriesOutcome> {
  const snapshots = input.snapshots ?? [];
  const task = `${input.cluster}/${input.service}/${input.taskId ?? '(task not found)'}`;
  if (
    snapshots.length < 2 ||
    input.cluster === undefined ||
    input.service === undefined ||
    input.taskId === undefined
  ) {
    await publish(deps, summarySubject(task, 'series failed'), summaryText(input, undefined, undefined, input.failure));
    return { verdict: 'failed', analysed: false };
  }
  const keys = reportKeys(input.cluster, input.service, input.taskId);
  const bucket = snapshots[0].bucket;
  const locations = {
    json: `s3://${bucket}/${keys.json}`,
    md: `s3://${bucket}/${keys.md}`,
    html: `s3://${bucket}/${keys.html}`,
  };
  const analysed = pickForDiff(snapshots);
  const largest = Math.max(...analysed.map((snapshot) => snapshot.bytes));
  const fits = largest <= deps.maxSnapshotBytes;
  const report = fits
    ? await analyse(analysed, deps)
    : deps.analyzer.notAnalysed(tooLarge(largest, deps.maxSnapshotBytes));
  const title = `heapwatch: ${task}`;
  const markdown = [
    `# ${title}`,
    '',
    `Series started ${input.startedAt} (${input.reason}); ${snapshots.length} of ${input.count} snapshots` +
      (analysed.length < snapshots.length
        ? `; diffed ${analysed.map((snapshot) => basename(snapshot.key)).join(', ')}.`
        : '.'),
    ...(input.failure ? ['', `**The series did not finish:** ${failureText(input.failure)}`] : []),
    '',
    deps.analyzer.renderMarkdown(report),
    '',
    '## Snapshots',
    '',
    ...snapshots.map(
      (snapshot) =>
        `- \`s3://${bucket}/${snapshot.key}\` — ${formatBytes(snapshot.bytes)}, sha256 \`${snapshot.sha256}\``,
    ),
    '',
    '## Run the diff locally',
    '',
    '```bash',
    ...snapshots.map(
      (snapshot, index) => `aws s3 cp s3://${bucket}/${snapshot.key} ./snapshot-${index + 1}.heapsnapshot`,
    ),
    `npx heapwatch diff ${snapshots.map((_, index) => `snapshot-${index + 1}.heapsnapshot`).join(' ')}`,
    '```',
    '',
  ].join('\n');
  const json = JSON.stringify({ ...report, series: { ...input, snapshots } }, null, 2);
  await putText(deps.s3, bucket, keys.json, json, 'application/json');
  await putText(deps.s3, bucket, keys.md, markdown, 'text/markdown; charset=utf-8');
  await putText(deps.s3, bucket, keys.html, deps.analyzer.renderHtml(report, { title }), 'text/html; charset=utf-8');
  await publish(deps, summarySubject(task, report.verdict), summaryText(input, report, locations, input.failure));
  return { verdict: report.verdict, locations, analysed: fits };
}

function tooLarge(largest: number, limit: number): string {
  return `Not analysed in Lambda: the largest snapshot is ${formatBytes(largest)}, above the ${formatBytes(limit)} the analysis function is sized for. Download the snapshots and run heapwatch diff on a machine with more memory (see "Run the diff locally").`;
}

async function analyse<R extends LeakReport>(
  snapshots: SeriesState['snapshots'],
  deps: ReportSeriesDependencies<R>,
): Promise<R> {
  const dir = await mkdtemp(join(deps.workDir, 'heapwatch-series-'));
  try {
    const paths: string[] = [];
    for (const snapshot of snapshots) {
      // Named like the object, so the report's snapshot table says which capture is which.
      const path = join(dir, basename(snapshot.key));
      const object = await deps.s3.send(new GetObjectCommand({ Bucket: snapshot.bucket, Key: snapshot.key }));
      await pipeline(object.Body as Readable, createWriteStream(path));
      paths.push(path);
    }
    return await deps.analyzer.diff(paths, { top: deps.top ?? 10 });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function putText(s3: S3Client, bucket: string, key: string, body: string, contentType: string): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }));
}

async function publish<R extends LeakReport>(
  deps: ReportSeriesDependencies<R>,
  subject: string,
  message: string,
): Promise<void> {
  await deps.sns.send(new PublishCommand({ TopicArn: deps.topicArn, Subject: subject, Message: message }));
}
