import { DescribeTasksCommand } from '@aws-sdk/client-ecs';
import aslValidator from 'asl-validator';
import type { SeriesInput } from '../../../collector/series-report';
import { STRANGER_KEYS } from '../../support/test-keys';
import { ecsMock, type Hooks, lambdaError, running, TASK_ARN, TASK_ID, useSeriesFlow } from './series-flow-harness';

describe('the synthesized state machine on a States Language engine, driving the real handlers', () => {
  const { flow, notifications, execute, request, sentMessages, errorMessage, SERIES_TIMEOUT_MS } = useSeriesFlow();

  test('the synthesized definition is valid States Language', () => {
    // Act: the validator annotates what it is given
    const { isValid, errorsText } = aslValidator(structuredClone(flow.collector.machine.definition));

    // Assess
    expect({ isValid, errors: errorsText() }).toEqual({ isValid: true, errors: '' });
  });

  test(
    'captures three snapshots with Wait states in between, reports a leak and succeeds',
    async () => {
      // Act
      const run = await execute({ ...request, intervalSeconds: 300 });

      // Assess
      expect({ status: run.status, error: run.error, cause: run.cause }).toEqual({ status: 'SUCCEEDED' });
      expect(run.visited).toEqual([
        'FindTask',
        ...['CaptureSnapshot', 'MoreSnapshots', 'WaitBetweenSnapshots'],
        ...['CaptureSnapshot', 'MoreSnapshots', 'WaitBetweenSnapshots'],
        ...['CaptureSnapshot', 'MoreSnapshots'],
        ...['AnalyzeSeries', 'AnalysedWhere', 'SeriesOutcome', 'ReportPublished'],
      ]);
      expect(run.output).toMatchObject({ captured: 3, report: { verdict: 'leak', analysed: true } });
      const reports = await flow.s3Server.listKeys(`prod/shop/${TASK_ID}/series-`);
      expect(reports.map((key) => key.replace(/^.*\//, ''))).toEqual(['report.html', 'report.json', 'report.md']);
      expect(await flow.s3Server.listKeys(`prod/shop/${TASK_ID}/latest-report.json`)).toHaveLength(1);
      expect(sentMessages().map((message) => [message.TopicArn, message.Subject])).toEqual([
        [flow.collector.reportTopicArn, `heapwatch leak: prod/shop/${TASK_ID}`],
      ]);
      expect(notifications).toEqual([]);
    },
    SERIES_TIMEOUT_MS,
  );

  test.each([
    {
      gone: 'STOPPED',
      answer: { tasks: running()?.map((task) => ({ ...task, lastStatus: 'STOPPED' })) },
      why: 'is STOPPED, not RUNNING',
    },
    {
      gone: 'missing',
      answer: { tasks: [], failures: [{ arn: TASK_ARN, reason: 'MISSING' }] },
      why: 'not found in cluster prod (stopped long ago or a typo?)',
    },
  ])(
    'a task $gone at step 2: the analysis reports what step 1 captured, naming the task, and the execution fails',
    async ({ answer, why }) => {
      // Prepare: the task stops during the first wait
      let analysed: SeriesInput | undefined;
      const hooks: Hooks = {
        capture: (state) => {
          if (state.captured === 1) ecsMock.on(DescribeTasksCommand).resolves(answer);
        },
        analyze: (input) => {
          analysed = input;
        },
      };

      // Act
      const run = await execute(request, { hooks });

      // Assess
      expect(run.visited.slice(-6)).toEqual([
        'WaitBetweenSnapshots',
        'CaptureSnapshot',
        'AnalyzeSeries',
        'AnalysedWhere',
        'SeriesOutcome',
        'SeriesFailed',
      ]);
      expect({ status: run.status, error: run.error }).toEqual({ status: 'FAILED', error: 'CaptureError' });
      expect(errorMessage(run.cause)).toBe(`task ${TASK_ID}: ${why}`);
      expect(analysed).toMatchObject({ captured: 1, failure: { Error: 'CaptureError' } });
      expect(analysed?.snapshots).toHaveLength(1);
      expect(analysed?.profiles).toHaveLength(1);
      const [message] = sentMessages();
      expect(message.Subject).toBe(`heapwatch series failed: prod/shop/${TASK_ID}`);
      expect(message.Message).toContain(`failed: task ${TASK_ID}: ${why}`);
      expect(message.Message).toContain(`s3://${flow.s3Server.bucket}/${analysed?.snapshots?.[0].key}`);
    },
    SERIES_TIMEOUT_MS,
  );

  test(
    'an agent busy with another capture: the step waits Retry-After, captures, and the series succeeds',
    async () => {
      // Act: the agent answers through a proxy that says busy to the first snapshot request
      const run = await execute({ ...request, count: 2 }, { adminPort: Number(new URL(flow.busyProxy.url).port) });

      // Assess
      expect({ status: run.status, error: run.error, cause: run.cause }).toEqual({ status: 'SUCCEEDED' });
      expect(run.output).toMatchObject({ captured: 2, snapshots: [{}, {}], skippedSnapshots: [] });
      const snapshotAnswers = flow.busyProxy.answers.filter((answer) => answer.path === '/heap/snapshot');
      expect(snapshotAnswers.map((answer) => answer.status)).toEqual([409, 200, 200]);
      expect(snapshotAnswers[1].at - snapshotAnswers[0].at).toBeGreaterThanOrEqual(1000);
    },
    SERIES_TIMEOUT_MS,
  );

  test(
    'a failing analysis is published by the state machine itself, with the snapshot keys, and the execution fails',
    async () => {
      // Prepare: the first snapshot is damaged in S3 before the analysis reads it
      let analysed: SeriesInput | undefined;
      const analyze = async (input: SeriesInput) => {
        analysed = input;
        const [first] = input.snapshots ?? [];
        await flow.s3Server.putText(first.key, 'not a snapshot');
      };

      // Act
      const run = await execute(request, { hooks: { analyze } });

      // Assess
      expect(run.visited.filter((state) => state === 'CaptureSnapshot')).toHaveLength(3);
      expect(run.visited.slice(-3)).toEqual(['AnalyzeSeries', 'PublishAnalysisFailure', 'AnalysisFailed']);
      expect(run.status).toBe('FAILED');
      expect(errorMessage(run.cause)).toMatch(/not a valid V8 heap snapshot/);
      expect(notifications).toEqual([
        {
          TopicArn: flow.collector.reportTopicArn,
          Subject: 'heapwatch: a series could not be analysed',
          Message: expect.stringMatching(
            /^The heapwatch analysis step failed \(.*not a valid V8 heap snapshot.*\)\. The snapshots are in S3: \[.*\] Run heapwatch diff on them locally\.$/s,
          ),
        },
      ]);
      for (const snapshot of analysed?.snapshots ?? []) {
        expect(notifications[0]).toMatchObject({ Message: expect.stringContaining(snapshot.key) });
      }
    },
    SERIES_TIMEOUT_MS,
  );

  test(
    'a failed capture (a key the agent does not trust) still reaches the analysis, which publishes the error, and the execution fails',
    async () => {
      // Act
      const run = await execute(request, { privateKey: STRANGER_KEYS.privateKey });

      // Assess
      expect(run.visited).toEqual([
        'FindTask',
        'CaptureSnapshot',
        'AnalyzeSeries',
        'AnalysedWhere',
        'SeriesOutcome',
        'SeriesFailed',
      ]);
      expect({ status: run.status, error: run.error }).toEqual({ status: 'FAILED', error: 'CaptureError' });
      expect(sentMessages()[0].Message).toMatch(/failed: task f10f10f10f10f10f10f10f10f10f10f1: 401 bad-signature/);
      expect(notifications).toEqual([]);
    },
    SERIES_TIMEOUT_MS,
  );

  test.each([
    ['Lambda.ServiceException', 'Lambda is unavailable', 2000],
    ['Lambda.TooManyRequestsException', 'Rate Exceeded.', 5000],
  ])(
    'a Lambda error %s is retried after the definition’s interval before any Catch sees it',
    async (error, message, intervalMs) => {
      // Prepare: the first invocation of the discovery fails in the Lambda service; the task has gone meanwhile
      let invocations = 0;
      const discover = () => {
        invocations += 1;
        ecsMock.on(DescribeTasksCommand).resolves({ tasks: [], failures: [{ arn: TASK_ARN, reason: 'MISSING' }] });
        if (invocations === 1) throw lambdaError(error, message);
      };

      // Act
      const run = await execute(request, { hooks: { discover } });

      // Assess
      expect(run.retries).toEqual([{ state: 'FindTask', error, pauseMs: expect.any(Number) }]);
      expect(run.retries[0].pauseMs).toBeGreaterThanOrEqual(intervalMs);
      expect(run.visited).toEqual([
        'FindTask',
        'NothingCaptured',
        'AnalyzeSeries',
        'AnalysedWhere',
        'SeriesOutcome',
        'SeriesFailed',
      ]);
      expect({ status: run.status, error: run.error }).toEqual({ status: 'FAILED', error: 'CaptureError' });
      expect(sentMessages()[0].Message).toContain(`failed: task ${TASK_ID}: not found in cluster prod`);
    },
    SERIES_TIMEOUT_MS,
  );

  test(
    'discovery and analysis both fail (no IP address left in the functions’ subnets): the failure is still published',
    async () => {
      // Prepare: Lambda cannot attach the functions to the VPC; no Retry of the definition matches that
      const noAddress = () => {
        throw lambdaError(
          'Lambda.SubnetIPAddressLimitReachedException',
          'Lambda was not able to set up VPC access for the Lambda function because one or more configured subnets has no available IP addresses.',
        );
      };

      // Act
      const run = await execute(request, { hooks: { discover: noAddress, analyze: noAddress } });

      // Assess
      expect(run.visited).toEqual([
        'FindTask',
        'NothingCaptured',
        'AnalyzeSeries',
        'PublishAnalysisFailure',
        'AnalysisFailed',
      ]);
      expect({ status: run.status, error: run.error }).toEqual({
        status: 'FAILED',
        error: 'Lambda.SubnetIPAddressLimitReachedException',
      });
      expect(notifications).toEqual([
        expect.objectContaining({
          Message: expect.stringMatching(
            /^The heapwatch analysis step failed \(.*no available IP addresses.*\)\. The snapshots are in S3: \[\] /,
          ),
        }),
      ]);
    },
    SERIES_TIMEOUT_MS,
  );
});
