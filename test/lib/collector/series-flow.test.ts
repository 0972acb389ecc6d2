import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { DescribeTasksCommand, type DescribeTasksCommandOutput, ECSClient } from '@aws-sdk/client-ecs';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import aslValidator from 'asl-validator';
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { mockClient } from 'aws-sdk-client-mock';
import type { SeriesRequest, SeriesState } from '../../../collector/series';
import type { SeriesInput } from '../../../collector/series-report';
import { staticSigningKeySource } from '../../../collector/signing-key-source';
import { runAnalysisTask } from '../../../lambda/analysis-task';
import { createAnalyzeHandler, diffAnalyzer } from '../../../lambda/analyze';
import { createCaptureHandler } from '../../../lambda/capture';
import { createDiscoverHandler } from '../../../lambda/discover';
import { SnapshotCollector } from '../../../lib/collector';
import { type AgentProcess, startAgentProcess } from '../../support/agent-harness';
import { fargateTask } from '../../support/ecs-task';
import { type ProxiedAnswer, startFaultyProxy } from '../../support/faulty-proxy';
import { type LocalExecution, LocalStateMachine } from '../../support/local-state-machine';
import { type LoopbackS3, startLoopbackS3 } from '../../support/s3-server';
import { STRANGER_KEYS, TEST_KEYS } from '../../support/test-keys';

const cdkContext = require('../../../cdk.json').context;
const TASK_ID = 'f10f10f10f10f10f10f10f10f10f10f1';
const TASK_ARN = `arn:aws:ecs:eu-west-1:123456789012:task/prod/${TASK_ID}`;
const SNS_PUBLISH = 'arn:aws:states:::sns:publish';
const RUN_TASK = 'arn:aws:states:::ecs:runTask.sync';

/** What the AnalyzeOnFargate step asks ECS for, as far as the test reads it. */
interface RunTaskParameters {
  readonly Cluster: string;
  readonly TaskDefinition: string;
  readonly LaunchType: string;
  readonly Overrides: {
    readonly Cpu: string;
    readonly Memory: string;
    readonly ContainerOverrides: {
      readonly Name: string;
      readonly Environment: { readonly Name: string; readonly Value: string }[];
    }[];
  };
}
const ecsMock = mockClient(ECSClient);
const snsMock = mockClient(SNSClient);

/** The collector of a stack as `cdk synth` makes it, its state machine ready to run locally. */
function synthesizedCollector() {
  const app = new App({ context: { ...cdkContext, 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Flow', { env: { account: '123456789012', region: 'eu-west-1' } });
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  const collector = new SnapshotCollector(stack, 'SnapshotCollector', {
    cluster: new ecs.Cluster(stack, 'Cluster', { vpc }),
    bucket: new s3.Bucket(stack, 'Snapshots'),
    signingKeySecret: new secretsmanager.Secret(stack, 'SigningKey'),
    alarmTopic: new sns.Topic(stack, 'Alarms'),
  });
  const machine = LocalStateMachine.fromStack(stack);
  const { discover, capture, analyze } = collector.functions;
  return {
    machine,
    reportTopicArn: machine.resolve(collector.reportTopic.topicArn),
    arns: {
      discover: machine.resolve(discover.functionArn),
      capture: machine.resolve(capture.functionArn),
      analyze: machine.resolve(analyze.functionArn),
    },
  };
}

/** Run before a function's handler, as part of its invocation: change the world it sees, or fail the invocation. */
interface Hooks {
  readonly discover?: (request: SeriesRequest) => void;
  readonly capture?: (state: SeriesState) => void;
  readonly analyze?: (input: SeriesInput) => Promise<void> | void;
}

const runningIn = (service: string): DescribeTasksCommandOutput['tasks'] => [
  fargateTask(TASK_ID, '127.0.0.1', { taskArn: TASK_ARN, group: `service:${service}` }),
];
const running = () => runningIn('shop');
const lambdaError = (name: string, message: string) => Object.assign(new Error(message), { name });

describe('the synthesized state machine on a States Language engine, driving the real handlers', () => {
  let collector: ReturnType<typeof synthesizedCollector>;
  let s3Server: LoopbackS3;
  let agent: AgentProcess;
  let busyProxy: { url: string; server: Server; answers: ProxiedAnswer[] };
  /** What the state machine's own sns:publish task sent (PublishAnalysisFailure). */
  const notifications: unknown[] = [];
  /** The analysis tasks the state machine started. */
  const startedTasks: RunTaskParameters[] = [];

  beforeAll(async () => {
    collector = synthesizedCollector();
    [s3Server, agent] = await Promise.all([
      startLoopbackS3(),
      startAgentProcess({ taskId: TASK_ID, leakPerTick: 200 }),
    ]);
    busyProxy = await startFaultyProxy(agent.url, { busySnapshotRequests: 1 });
  });
  afterAll(async () => {
    busyProxy?.server.closeAllConnections();
    busyProxy?.server.close();
    await agent?.kill();
    await s3Server?.close();
  });
  beforeEach(() => {
    notifications.length = 0;
    startedTasks.length = 0;
    snsMock.reset();
    snsMock.on(PublishCommand).resolves({ MessageId: 'm' });
    ecsMock.reset();
    ecsMock.on(DescribeTasksCommand).resolves({ tasks: running() });
  });

  /** One execution; the Wait state waits 1 s instead of the request's interval. */
  function execute(
    request: SeriesRequest,
    options: {
      readonly privateKey?: string;
      readonly adminPort?: number;
      readonly hooks?: Hooks;
      /** The analysis function's limit, as HEAPWATCH_MAX_ANALYSIS_BYTES sets it. @default 2 GiB */
      readonly maxSnapshotBytes?: number;
      /** Run before the analysis task's code; a throw makes the container exit 1. */
      readonly analysisTask?: () => void;
    } = {},
  ): Promise<LocalExecution> {
    const ecsClient = new ECSClient({});
    const hooks = options.hooks ?? {};
    const discover = createDiscoverHandler({
      ecs: ecsClient,
      adminEndpointOf: async () => ({ adminPort: options.adminPort ?? agent.port, adminPath: '' }),
    });
    const capture = createCaptureHandler({
      ecs: ecsClient,
      s3: s3Server.client,
      bucket: s3Server.bucket,
      signingKey: staticSigningKeySource(options.privateKey ?? TEST_KEYS.privateKey),
    });
    const analyze = createAnalyzeHandler({
      s3: s3Server.client,
      sns: new SNSClient({}),
      topicArn: collector.reportTopicArn,
      analyzer: diffAnalyzer,
      maxSnapshotBytes: options.maxSnapshotBytes ?? 2 * 1024 ** 3,
      fargate: true,
      workDir: tmpdir(),
    });
    return collector.machine.run(request, {
      lambdas: {
        [collector.arns.discover]: async (event: SeriesRequest) => {
          hooks.discover?.(event);
          return discover(event);
        },
        [collector.arns.capture]: async (state: SeriesState) => {
          hooks.capture?.(state);
          return capture(state);
        },
        [collector.arns.analyze]: async (input: SeriesInput) => {
          await hooks.analyze?.(input);
          return analyze(input);
        },
      },
      integrations: {
        [SNS_PUBLISH]: async (parameters) => {
          notifications.push(parameters);
          return { MessageId: `local-${notifications.length}` };
        },
        // ECS at the SDK boundary: the task's container runs in-process with the environment the step gives it.
        [RUN_TASK]: async (parameters) => {
          startedTasks.push(parameters as unknown as RunTaskParameters);
          const [container] = (parameters as unknown as RunTaskParameters).Overrides.ContainerOverrides;
          const environment = Object.fromEntries(container.Environment.map(({ Name, Value }) => [Name, Value]));
          let exitCode = 0;
          try {
            options.analysisTask?.();
            await runAnalysisTask(
              {
                ...environment,
                HEAPWATCH_BUCKET: s3Server.bucket,
                HEAPWATCH_REPORT_TOPIC_ARN: collector.reportTopicArn,
              },
              { s3: s3Server.client, sns: new SNSClient({}), workDir: tmpdir() },
            );
          } catch {
            exitCode = 1;
          }
          const stopped = {
            TaskArn: `arn:aws:ecs:eu-west-1:123456789012:task/prod/analysis${startedTasks.length}`,
            LastStatus: 'STOPPED',
            StopCode: 'EssentialContainerExited',
            StoppedReason: 'Essential container in task exited',
            Containers: [{ Name: container.Name, ExitCode: exitCode }],
          };
          // As Step Functions does: a container that exits non-zero fails the runTask.sync step.
          if (exitCode !== 0) throw Object.assign(new Error(JSON.stringify(stopped)), { name: 'States.TaskFailed' });
          return stopped;
        },
      },
      waitMs: { WaitBetweenSnapshots: 1000 },
    });
  }
  const request: SeriesRequest = { cluster: 'prod', service: 'shop', taskId: TASK_ID, count: 3, reason: 'test' };
  const sentMessages = () => snsMock.commandCalls(PublishCommand).map((call) => call.args[0].input);
  const errorMessage = (cause: string | undefined) =>
    (JSON.parse(cause ?? '{}') as { errorMessage?: string }).errorMessage;
  /**
   * A series takes up to 3 steps of a leaking agent whose heap keeps growing for the whole file: ~15 s on a quiet
   * machine, over a minute when it shares 2 cores with a parallel test run. The limit only guards against a hang.
   */
  const SERIES_TIMEOUT_MS = 300_000;

  test('the synthesized definition is valid States Language', () => {
    // Act: the validator annotates what it is given
    const { isValid, errorsText } = aslValidator(structuredClone(collector.machine.definition));

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
      const reports = await s3Server.listKeys(`prod/shop/${TASK_ID}/series-`);
      expect(reports.map((key) => key.replace(/^.*\//, ''))).toEqual(['report.html', 'report.json', 'report.md']);
      expect(await s3Server.listKeys(`prod/shop/${TASK_ID}/latest-report.json`)).toHaveLength(1);
      expect(sentMessages().map((message) => [message.TopicArn, message.Subject])).toEqual([
        [collector.reportTopicArn, `heapwatch leak: prod/shop/${TASK_ID}`],
      ]);
      expect(notifications).toEqual([]);
    },
    SERIES_TIMEOUT_MS,
  );

  test(
    'a series too big for the analysis function is analysed by a Fargate task sized for it, which reports it',
    async () => {
      // Prepare: the task of another service, so this series has its own keys
      ecsMock.on(DescribeTasksCommand).resolves({ tasks: runningIn('big') });

      // Act: a limit below the snapshots' size, as a series of 5 GiB snapshots meets the real one
      const run = await execute({ ...request, service: 'big' }, { maxSnapshotBytes: 1000 });

      // Assess
      expect({ status: run.status, error: run.error, cause: run.cause }).toEqual({ status: 'SUCCEEDED' });
      expect(run.visited.slice(-7)).toEqual([
        'AnalyzeSeries',
        'AnalysedWhere',
        'AnalyzeOnFargate',
        'AnalysisTaskExited',
        'AnalysisTaskExitCode',
        'SeriesOutcome',
        'ReportPublished',
      ]);
      expect(startedTasks).toHaveLength(1);
      const [task] = startedTasks;
      expect(task).toMatchObject({
        LaunchType: 'FARGATE',
        TaskDefinition: expect.stringMatching(/SnapshotCollectorAnalysisTask/), // the family: its latest revision
        Overrides: { Cpu: '4096', Memory: '8192' },
      });
      const environment = task.Overrides.ContainerOverrides[0].Environment;
      expect(environment).toEqual([
        {
          Name: 'HEAPWATCH_SERIES_INPUT_KEY',
          Value: expect.stringMatching(/^prod\/big\/.*\/series-[^/]+\/input\.json$/),
        },
        { Name: 'NODE_OPTIONS', Value: '--max-old-space-size=6963' },
      ]);
      // The function wrote and published nothing: the task did, once.
      expect(sentMessages().map((message) => message.Subject)).toEqual([`heapwatch leak: prod/big/${TASK_ID}`]);
      const pointer = await s3Server.client.send(
        new GetObjectCommand({ Bucket: s3Server.bucket, Key: `prod/big/${TASK_ID}/latest-report.json` }),
      );
      expect(JSON.parse((await pointer.Body?.transformToString()) ?? '{}')).toMatchObject({ verdict: 'leak' });
      expect(notifications).toEqual([]);
    },
    SERIES_TIMEOUT_MS,
  );

  test(
    'an analysis task that exits non-zero is published as a failed analysis, and the execution fails',
    async () => {
      // Prepare
      ecsMock.on(DescribeTasksCommand).resolves({ tasks: runningIn('big-failing') });

      // Act
      const run = await execute(
        { ...request, service: 'big-failing' },
        {
          maxSnapshotBytes: 1000,
          analysisTask: () => {
            throw new Error('out of memory');
          },
        },
      );

      // Assess
      expect(run.visited.slice(-3)).toEqual(['AnalyzeOnFargate', 'PublishAnalysisFailure', 'AnalysisFailed']);
      expect({ status: run.status, error: run.error }).toEqual({ status: 'FAILED', error: 'States.TaskFailed' });
      expect(run.cause).toMatch(/"ExitCode":1/);
      expect(sentMessages()).toEqual([]);
      expect(notifications).toHaveLength(1);
      expect(JSON.stringify(notifications[0])).toMatch(/The heapwatch analysis step failed/);
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
      expect(message.Message).toContain(`s3://${s3Server.bucket}/${analysed?.snapshots?.[0].key}`);
    },
    SERIES_TIMEOUT_MS,
  );

  test(
    'an agent busy with another capture: the step waits Retry-After, captures, and the series succeeds',
    async () => {
      // Act: the agent answers through a proxy that says busy to the first snapshot request
      const run = await execute({ ...request, count: 2 }, { adminPort: Number(new URL(busyProxy.url).port) });

      // Assess
      expect({ status: run.status, error: run.error, cause: run.cause }).toEqual({ status: 'SUCCEEDED' });
      expect(run.output).toMatchObject({ captured: 2, snapshots: [{}, {}], skippedSnapshots: [] });
      const snapshotAnswers = busyProxy.answers.filter((answer) => answer.path === '/heap/snapshot');
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
        await s3Server.putText(first.key, 'not a snapshot');
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
          TopicArn: collector.reportTopicArn,
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
