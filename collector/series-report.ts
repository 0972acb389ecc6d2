import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import {
  analysisMemoryMiB,
  FARGATE_MAX_MEMORY_MIB,
  type FargatePlacement,
  fargatePlacement,
} from './analysis-placement';
import { errorMessage } from './capture-error';
import type { StoredCapture } from './capture-to-s3';
import { pointLatestAt } from './latest-report';
import { type LeakReport, pickForDiff, type SeriesAnalyzer } from './leak-report';
import { latestReportKey, reportKeys, type SeriesState, seriesPrefix } from './series';
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
  /**
   * Largest snapshot analysed here; bigger series go to a Fargate task when `fargate` is on and one is big enough,
   * else get a report saying how to run the diff locally.
   */
  readonly maxSnapshotBytes: number;
  /** Hand series too big for this process to a Fargate task (the state machine runs it). @default false */
  readonly fargate?: boolean;
  /** Where snapshots are downloaded (Lambda: /tmp). */
  readonly workDir: string;
  /** Suspects in the report. @default 10 */
  readonly top?: number;
}

export type SeriesInput = Partial<SeriesState> & { readonly failure?: SeriesFailure };

export interface SeriesOutcome {
  /** `delegated`: nothing was written or published here; the Fargate task in `fargate` does it all. */
  readonly verdict: LeakReport['verdict'] | 'failed' | 'delegated';
  readonly locations?: ReportLocations;
  readonly analysed: boolean;
  /** The task size to analyse this series on, when it is too big for this process. */
  readonly fargate?: FargateHandOver;
  /** What became of the task's latest-report.json: moved here, kept on a newer series, or why it was not moved. */
  readonly latestReport?: string;
}

/**
 * A series handed to the analysis task: its size, and the S3 key of the series state it analyses (ECS caps a run's
 * overrides at 8 KB, less than the state of a long series with long names).
 */
export interface FargateHandOver extends FargatePlacement {
  readonly seriesInputKey: string;
}

/**
 * Last step of a series: diff the heap profiles and snapshots (two or more of a kind; snapshots only when they fit),
 * write report.json/.md/.html beside them and publish a short summary. Also reached after a failed step, which the
 * summary then reports.
 */
export async function reportSeries<R extends LeakReport>(
  input: SeriesInput,
  deps: ReportSeriesDependencies<R>,
): Promise<SeriesOutcome> {
  const snapshots = input.snapshots ?? [];
  const profiles = input.profiles ?? [];
  const task = `${input.cluster}/${input.service}/${input.taskId ?? '(task not found)'}`;
  if (
    (snapshots.length < 2 && profiles.length < 2) ||
    input.cluster === undefined ||
    input.service === undefined ||
    input.taskId === undefined
  ) {
    await publish(deps, summarySubject(task, 'series failed'), summaryText(input, undefined, undefined, input.failure));
    return { verdict: 'failed', analysed: false };
  }
  const startedAt = input.startedAt ?? new Date().toISOString();
  const keys = reportKeys(input.cluster, input.service, input.taskId, startedAt);
  const bucket = (profiles[0] ?? snapshots[0]).bucket;
  const locations = {
    json: `s3://${bucket}/${keys.json}`,
    md: `s3://${bucket}/${keys.md}`,
    html: `s3://${bucket}/${keys.html}`,
  };
  const pickedSnapshots = snapshots.length >= 2 ? pickForDiff(snapshots) : [];
  const pickedProfiles = profiles.length >= 2 ? pickForDiff(profiles) : [];
  const largest = Math.max(0, ...pickedSnapshots.map((snapshot) => snapshot.bytes));
  const snapshotsFit = largest <= deps.maxSnapshotBytes;
  const placement = !snapshotsFit && deps.fargate ? fargatePlacement(largest) : undefined;
  if (placement !== undefined) {
    const seriesInputKey = `${seriesPrefix(input.cluster, input.service, input.taskId, startedAt)}input.json`;
    await putText(deps.s3, bucket, seriesInputKey, JSON.stringify(input), 'application/json');
    return { verdict: 'delegated', analysed: false, fargate: { ...placement, seriesInputKey } };
  }
  const tooLargeText = tooLarge(largest, deps);
  const analysed = [...(snapshotsFit ? pickedSnapshots : []), ...pickedProfiles];
  const report = analysed.length > 0 ? await analyse(analysed, deps) : deps.analyzer.notAnalysed(tooLargeText);
  const captures = [...profiles, ...snapshots];
  const title = `heapwatch: ${task}`;
  const markdown = [
    `# ${title}`,
    '',
    `Series started ${input.startedAt} (${input.reason}); ${input.captured ?? 0} of ${input.count} steps: ` +
      `${profiles.length} heap profile(s), ${snapshots.length} snapshot(s)` +
      (analysed.length < captures.length
        ? `; diffed ${analysed.map((capture) => basename(capture.key)).join(', ')}.`
        : '.'),
    ...skippedLines(input),
    ...(!snapshotsFit && pickedSnapshots.length > 0 ? ['', tooLargeText] : []),
    ...(input.failure ? ['', `**The series did not finish:** ${failureText(input.failure)}`] : []),
    '',
    deps.analyzer.renderMarkdown(report),
    '',
    '## Captures',
    '',
    ...captures.map(
      (capture) => `- \`s3://${bucket}/${capture.key}\` — ${formatBytes(capture.bytes)}, sha256 \`${capture.sha256}\``,
    ),
    '',
    '## Run the diff locally',
    '',
    '```bash',
    ...captures.map((capture) => `aws s3 cp s3://${bucket}/${capture.key} ./${localName(capture, captures)}`),
    `npx heapwatch diff ${captures.map((capture) => localName(capture, captures)).join(' ')}`,
    '```',
    '',
  ].join('\n');
  const json = JSON.stringify({ ...report, series: { ...input, snapshots, profiles } }, null, 2);
  await putText(deps.s3, bucket, keys.json, json, 'application/json');
  await putText(deps.s3, bucket, keys.md, markdown, 'text/markdown; charset=utf-8');
  await putText(deps.s3, bucket, keys.html, deps.analyzer.renderHtml(report, { title }), 'text/html; charset=utf-8');
  await publish(deps, summarySubject(task, report.verdict), summaryText(input, report, locations, input.failure));
  // After the summary: the report is out whatever becomes of the pointer.
  const latestReport = await pointLatestAt(deps.s3, latestReportKey(input.cluster, input.service, input.taskId), {
    startedAt,
    verdict: report.verdict,
    bucket,
    report: keys,
  }).catch((error: unknown) => `not moved: ${errorMessage(error)}`);
  return { verdict: report.verdict, locations, analysed: analysed.length > 0, latestReport };
}

/** Why steps went without a snapshot: the on-call needs to know the diagnosis rests on profiles alone. */
function skippedLines(input: SeriesInput): string[] {
  const skipped = input.skippedSnapshots ?? [];
  if (skipped.length === 0) return [];
  return [
    '',
    `**Snapshots skipped in ${skipped.length} step(s)**, the series went on with heap profiles:`,
    ...skipped.map((refusal) => `- step ${refusal.step}: ${refusal.reason} — ${refusal.message}`),
  ];
}

/** `profile-1.heapprofile`, `snapshot-2.heapsnapshot`: numbered per kind, oldest first. */
function localName(capture: StoredCapture, captures: readonly StoredCapture[]): string {
  const sameKind = captures.filter((other) => other.kind === capture.kind);
  const prefix = capture.kind === 'heapprofile' ? 'profile' : 'snapshot';
  return `${prefix}-${sameKind.indexOf(capture) + 1}.${capture.kind}`;
}

/** Why the snapshots were not analysed: too big for this function, or (with `fargate`) for the largest task. */
function tooLarge(largest: number, deps: Pick<ReportSeriesDependencies, 'maxSnapshotBytes' | 'fargate'>): string {
  const why = deps.fargate
    ? `Snapshots not analysed: the largest is ${formatBytes(largest)}, and the analysis needs ~${formatBytes(analysisMemoryMiB(largest) * 1024 ** 2)} of memory, more than the largest Fargate task's ${formatBytes(FARGATE_MAX_MEMORY_MIB * 1024 ** 2)}.`
    : `Snapshots not analysed in Lambda: the largest is ${formatBytes(largest)}, above the ${formatBytes(deps.maxSnapshotBytes)} the analysis function is sized for.`;
  return `${why} Download them and run heapwatch diff on a machine with more memory (see "Run the diff locally").`;
}

async function analyse<R extends LeakReport>(
  captures: readonly StoredCapture[],
  deps: ReportSeriesDependencies<R>,
): Promise<R> {
  const dir = await mkdtemp(join(deps.workDir, 'heapwatch-series-'));
  try {
    const paths: string[] = [];
    for (const capture of captures) {
      // Named like the object, so the report's tables say which capture is which.
      const path = join(dir, basename(capture.key));
      const object = await deps.s3.send(new GetObjectCommand({ Bucket: capture.bucket, Key: capture.key }));
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
