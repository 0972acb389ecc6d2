import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { DescribeTasksCommand, type DescribeTasksCommandOutput, ECSClient } from '@aws-sdk/client-ecs';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
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
import { TEST_KEYS } from '../../support/test-keys';

const cdkContext = require('../../../cdk.json').context;
export const TASK_ID = 'f10f10f10f10f10f10f10f10f10f10f1';
export const TASK_ARN = `arn:aws:ecs:eu-west-1:123456789012:task/prod/${TASK_ID}`;
const SNS_PUBLISH = 'arn:aws:states:::sns:publish';
const RUN_TASK = 'arn:aws:states:::ecs:runTask.sync';

/** What the AnalyzeOnFargate step asks ECS for, as far as the test reads it. */
export interface RunTaskParameters {
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
export const ecsMock = mockClient(ECSClient);
export const snsMock = mockClient(SNSClient);

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
export interface Hooks {
  readonly discover?: (request: SeriesRequest) => void;
  readonly capture?: (state: SeriesState) => void;
  readonly analyze?: (input: SeriesInput) => Promise<void> | void;
}

export const runningIn = (service: string): DescribeTasksCommandOutput['tasks'] => [
  fargateTask(TASK_ID, '127.0.0.1', { taskArn: TASK_ARN, group: `service:${service}` }),
];
export const running = () => runningIn('shop');
export const lambdaError = (name: string, message: string) => Object.assign(new Error(message), { name });

/**
 * The synthesized collector's state machine on the local engine, with a loopback S3, a leaking agent in its own
 * process and a proxy that answers busy once; registers the hooks that start and stop them. Call inside a describe.
 */
export function useSeriesFlow() {
  const flow = {} as {
    collector: ReturnType<typeof synthesizedCollector>;
    s3Server: LoopbackS3;
    agent: AgentProcess;
    busyProxy: { url: string; server: Server; answers: ProxiedAnswer[] };
  };
  /** What the state machine's own sns:publish task sent (PublishAnalysisFailure). */
  const notifications: unknown[] = [];
  /** The analysis tasks the state machine started. */
  const startedTasks: RunTaskParameters[] = [];

  beforeAll(async () => {
    flow.collector = synthesizedCollector();
    [flow.s3Server, flow.agent] = await Promise.all([
      startLoopbackS3(),
      startAgentProcess({ taskId: TASK_ID, leakPerTick: 200 }),
    ]);
    flow.busyProxy = await startFaultyProxy(flow.agent.url, { busySnapshotRequests: 1 });
  });
  afterAll(async () => {
    flow.busyProxy?.server.closeAllConnections();
    flow.busyProxy?.server.close();
    await flow.agent?.kill();
    await flow.s3Server?.close();
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
      adminEndpointOf: async () => ({ adminPort: options.adminPort ?? flow.agent.port, adminPath: '' }),
    });
    const capture = createCaptureHandler({
      ecs: ecsClient,
      s3: flow.s3Server.client,
      bucket: flow.s3Server.bucket,
      signingKey: staticSigningKeySource(options.privateKey ?? TEST_KEYS.privateKey),
    });
    const analyze = createAnalyzeHandler({
      s3: flow.s3Server.client,
      sns: new SNSClient({}),
      topicArn: flow.collector.reportTopicArn,
      analyzer: diffAnalyzer,
      maxSnapshotBytes: options.maxSnapshotBytes ?? 2 * 1024 ** 3,
      fargate: true,
      workDir: tmpdir(),
    });
    return flow.collector.machine.run(request, {
      lambdas: {
        [flow.collector.arns.discover]: async (event: SeriesRequest) => {
          hooks.discover?.(event);
          return discover(event);
        },
        [flow.collector.arns.capture]: async (state: SeriesState) => {
          hooks.capture?.(state);
          return capture(state);
        },
        [flow.collector.arns.analyze]: async (input: SeriesInput) => {
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
                HEAPWATCH_BUCKET: flow.s3Server.bucket,
                HEAPWATCH_REPORT_TOPIC_ARN: flow.collector.reportTopicArn,
              },
              { s3: flow.s3Server.client, sns: new SNSClient({}), workDir: tmpdir() },
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
  return { flow, notifications, startedTasks, execute, request, sentMessages, errorMessage, SERIES_TIMEOUT_MS };
}
