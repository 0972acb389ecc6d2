/**
 * The analysis as a Fargate task, for series too big for the analysis function: the container's entry point (not a
 * Lambda handler). The analysis function stored the series state at HEAPWATCH_SERIES_INPUT_KEY in the bucket and the
 * state machine sized the task from the largest snapshot; the task writes the same report and publishes the same
 * summary as the function would, then exits 0. Any failure exits 1, which fails the state machine's step.
 */
import { tmpdir } from 'node:os';
import { Logger } from '@aws-lambda-powertools/logger';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import type { SeriesReport } from '../analysis';
import type { ReportSeriesDependencies, SeriesInput, SeriesOutcome } from '../collector/series-report';
import { reportSeries } from '../collector/series-report';
import { diffAnalyzer } from './analyze';

const logger = new Logger({ serviceName: 'heapwatch-collector' });

/** What the task reads from its environment, all set by the SnapshotCollector and the state machine. */
export interface AnalysisTaskEnvironment {
  readonly HEAPWATCH_BUCKET?: string;
  readonly HEAPWATCH_SERIES_INPUT_KEY?: string;
  readonly HEAPWATCH_REPORT_TOPIC_ARN?: string;
}

/** One run of the task: parse the series, analyse it whatever its size, report it. */
export async function runAnalysisTask(
  env: AnalysisTaskEnvironment,
  deps: Omit<ReportSeriesDependencies<SeriesReport>, 'topicArn' | 'analyzer' | 'maxSnapshotBytes' | 'fargate'>,
): Promise<SeriesOutcome> {
  const topicArn = env.HEAPWATCH_REPORT_TOPIC_ARN;
  if (!topicArn) throw new Error('HEAPWATCH_REPORT_TOPIC_ARN is not set: the SnapshotCollector sets it');
  const bucket = env.HEAPWATCH_BUCKET;
  if (!bucket) throw new Error('HEAPWATCH_BUCKET is not set: the SnapshotCollector sets it');
  const key = env.HEAPWATCH_SERIES_INPUT_KEY;
  if (!key) throw new Error('HEAPWATCH_SERIES_INPUT_KEY is not set: the state machine sets it');
  const stored = await deps.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const input = JSON.parse((await stored.Body?.transformToString()) ?? '') as SeriesInput;
  const outcome = await reportSeries(input, {
    ...deps,
    topicArn,
    analyzer: diffAnalyzer,
    // The state machine sized this task for the series.
    maxSnapshotBytes: Number.POSITIVE_INFINITY,
  });
  logger.info('series reported on Fargate', {
    cluster: input.cluster,
    ecsService: input.service,
    taskId: input.taskId,
    snapshots: input.snapshots?.length ?? 0,
    ...outcome,
  });
  return outcome;
}

if (require.main === module) {
  runAnalysisTask(process.env, { s3: new S3Client({}), sns: new SNSClient({}), workDir: tmpdir() }).catch(
    (error: unknown) => {
      logger.error('the analysis task failed', { error: error instanceof Error ? error : String(error) });
      process.exitCode = 1;
    },
  );
}
