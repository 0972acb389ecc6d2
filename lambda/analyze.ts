import { tmpdir } from 'node:os';
import { Logger } from '@aws-lambda-powertools/logger';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { diffSeriesFiles, renderHtml, renderMarkdown, type SeriesReport } from '../analysis';
import type { SeriesAnalyzer } from '../collector/leak-report';
import {
  type ReportSeriesDependencies,
  reportSeries,
  type SeriesInput,
  type SeriesOutcome,
} from '../collector/series-report';

const logger = new Logger({ serviceName: 'heapwatch-collector' });

/**
 * In Lambda the analysis threads' memory budget is 3/4 of the function's memory, which Lambda gives in
 * `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` (MB); elsewhere (the Fargate task) the analysis reads the machine's.
 */
export function lambdaMemoryBudget(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const megabytes = Number(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE);
  return Number.isFinite(megabytes) && megabytes > 0 ? Math.floor(megabytes * 1024 * 1024 * 0.75) : undefined;
}

/** `analysis/` behind the collector's analyzer interface. */
export const diffAnalyzer: SeriesAnalyzer<SeriesReport> = {
  diff: (paths, options) => diffSeriesFiles(paths, { ...options, memoryBudgetBytes: lambdaMemoryBudget() }),
  renderMarkdown,
  renderHtml,
  notAnalysed: (reasoning) => ({
    verdict: 'inconclusive',
    reasoning,
    suspects: [],
    classGrowth: [],
    holderGrowth: [],
    snapshots: [],
    minGrowthBytes: 0,
    analysisMs: 0,
  }),
};

/** Step Functions task, last of a series (also after a failed step): report and publish. */
export function createAnalyzeHandler(deps: ReportSeriesDependencies<SeriesReport>) {
  return async (input: SeriesInput): Promise<SeriesOutcome> => {
    const outcome = await reportSeries(input, deps);
    logger.info('series reported', {
      cluster: input.cluster,
      ecsService: input.service,
      taskId: input.taskId,
      snapshots: input.snapshots?.length ?? 0,
      profiles: input.profiles?.length ?? 0,
      failed: input.failure !== undefined,
      ...outcome,
    });
    return outcome;
  };
}

let configured: ((input: SeriesInput) => Promise<SeriesOutcome>) | undefined;

export const handler = (input: SeriesInput): Promise<SeriesOutcome> => {
  const topicArn = process.env.HEAPWATCH_REPORT_TOPIC_ARN;
  if (!topicArn) throw new Error('HEAPWATCH_REPORT_TOPIC_ARN is not set: the SnapshotCollector construct sets it');
  configured ??= createAnalyzeHandler({
    s3: new S3Client({}),
    sns: new SNSClient({}),
    topicArn,
    analyzer: diffAnalyzer,
    maxSnapshotBytes: Number(process.env.HEAPWATCH_MAX_ANALYSIS_BYTES ?? 2 * 1024 ** 3),
    // Set by the SnapshotCollector, which then runs the analysis task for series too big for this function.
    fargate: process.env.HEAPWATCH_FARGATE_ANALYSIS === 'enabled',
    workDir: tmpdir(),
  });
  return configured(input);
};
