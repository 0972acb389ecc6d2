import { tmpdir } from 'node:os';
import { DescribeTasksCommand, ECSClient } from '@aws-sdk/client-ecs';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { mockClient } from 'aws-sdk-client-mock';
import type { SeriesState } from '../../../collector/series';
import { staticSigningKeySource } from '../../../collector/signing-key-source';
import { createAnalyzeHandler, diffAnalyzer } from '../../../lambda/analyze';
import { createCaptureHandler } from '../../../lambda/capture';
import { createDiscoverHandler } from '../../../lambda/discover';
import { SnapshotCollector } from '../../../lib/collector';
import { type AgentProcess, startAgentProcess } from '../../support/agent-harness';
import { type AslDefinition, runAsl } from '../../support/asl-runner';
import { fargateTask } from '../../support/ecs-task';
import { type LoopbackS3, startLoopbackS3 } from '../../support/s3-server';
import { STRANGER_KEYS, TEST_KEYS } from '../../support/test-keys';

const cdkContext = require('../../../cdk.json').context;
const TASK_ID = 'f10f10f10f10f10f10f10f10f10f10f1';
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:reports';
const ecsMock = mockClient(ECSClient);
const snsMock = mockClient(SNSClient);

/** The synthesized definition, with each Lambda ARN replaced by `lambda:<logical id>`. */
function synthesizedDefinition(): AslDefinition {
  const app = new App({ context: { ...cdkContext, 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Flow', { env: { account: '123456789012', region: 'eu-west-1' } });
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  new SnapshotCollector(stack, 'SnapshotCollector', {
    cluster: new ecs.Cluster(stack, 'Cluster', { vpc }),
    bucket: new s3.Bucket(stack, 'Snapshots'),
    signingKeySecret: new secretsmanager.Secret(stack, 'SigningKey'),
    alarmTopic: new sns.Topic(stack, 'Alarms'),
  });
  const [machine] = Object.values(Template.fromStack(stack).findResources('AWS::StepFunctions::StateMachine'));
  const parts = machine.Properties.DefinitionString['Fn::Join'][1] as unknown[];
  const text = parts
    .map((part) => {
      if (typeof part === 'string') return part;
      const getAtt = (part as { 'Fn::GetAtt'?: string[] })['Fn::GetAtt'];
      if (getAtt) return `lambda:${getAtt[0]}`;
      return (part as { Ref: string }).Ref === 'AWS::Partition' ? 'aws' : 'report-topic';
    })
    .join('');
  return JSON.parse(text) as AslDefinition;
}

describe('the synthesized state machine driving the real handlers', () => {
  let s3Server: LoopbackS3;
  let agent: AgentProcess;
  let definition: AslDefinition;
  const published: { resource: string; parameters: unknown }[] = [];

  beforeAll(async () => {
    [s3Server, agent] = await Promise.all([
      startLoopbackS3(),
      startAgentProcess({ taskId: TASK_ID, leakPerTick: 200 }),
    ]);
    definition = synthesizedDefinition();
  });
  afterAll(async () => {
    await agent?.kill();
    await s3Server?.close();
  });
  beforeEach(() => {
    published.length = 0;
    snsMock.reset();
    snsMock.on(PublishCommand).resolves({ MessageId: 'm' });
    ecsMock.reset();
    ecsMock.on(DescribeTasksCommand).resolves({
      tasks: [
        fargateTask(TASK_ID, '127.0.0.1', {
          taskArn: `arn:aws:ecs:eu-west-1:123456789012:task/prod/${TASK_ID}`,
          group: 'service:shop',
        }),
      ],
    });
  });

  function invoker(privateKey: string, beforeAnalyze?: (state: SeriesState) => Promise<void>) {
    const ecs = new ECSClient({});
    const handlers: Record<string, (input: never) => Promise<unknown>> = {
      Discover: createDiscoverHandler({ ecs, adminPortOf: () => agent.port }),
      Capture: createCaptureHandler({
        ecs,
        s3: s3Server.client,
        bucket: s3Server.bucket,
        signingKey: staticSigningKeySource(privateKey),
      }),
      Analyze: createAnalyzeHandler({
        s3: s3Server.client,
        sns: new SNSClient({}),
        topicArn: TOPIC,
        analyzer: diffAnalyzer,
        maxSnapshotBytes: 2 * 1024 ** 3,
        workDir: tmpdir(),
      }),
    };
    return async (resource: string, input: unknown, state: { Parameters?: unknown }) => {
      if (resource.endsWith(':states:::sns:publish')) {
        published.push({ resource, parameters: state.Parameters });
        return {};
      }
      const [name, handler] = Object.entries(handlers).find(([key]) => resource.includes(key)) ?? [];
      if (!handler) throw new Error(`no handler for ${resource}`);
      if (name === 'Analyze' && beforeAnalyze) await beforeAnalyze(input as SeriesState);
      // Lambda sees JSON, as from Step Functions
      return JSON.parse(JSON.stringify(await handler(JSON.parse(JSON.stringify(input)) as never)));
    };
  }
  const wait = (seconds: number) => new Promise<void>((resolve) => setTimeout(resolve, seconds * 1000));
  const request = { cluster: 'prod', service: 'shop', taskId: TASK_ID, count: 3, intervalSeconds: 1, reason: 'test' };
  /**
   * A series takes 3 steps of a leaking agent whose heap keeps growing for the whole file: ~15 s on a quiet machine,
   * over a minute when it shares 2 cores with a parallel test run. The limit only guards against a hang.
   */
  const SERIES_TIMEOUT_MS = 300_000;

  test(
    'captures three snapshots with Wait states in between, reports a leak and succeeds',
    async () => {
      // Act
      const run = await runAsl(definition, request, invoker(TEST_KEYS.privateKey), wait);

      // Assess
      expect({ status: run.status, cause: run.cause }).toEqual({ status: 'SUCCEEDED', cause: undefined });
      expect(run.visited.filter((state) => state === 'CaptureSnapshot')).toHaveLength(3);
      expect(run.visited.filter((state) => state === 'WaitBetweenSnapshots')).toHaveLength(2);
      expect(run.output).toMatchObject({ captured: 3, report: { verdict: 'leak', analysed: true } });
      expect(await s3Server.listKeys(`prod/shop/${TASK_ID}/report`)).toHaveLength(3);
      expect(snsMock.commandCalls(PublishCommand)[0].args[0].input.Subject).toBe(
        `heapwatch leak: prod/shop/${TASK_ID}`,
      );
    },
    SERIES_TIMEOUT_MS,
  );

  test(
    'a failed capture still reaches the analysis, which publishes the error, and the execution fails',
    async () => {
      // Act
      const run = await runAsl(definition, request, invoker(STRANGER_KEYS.privateKey), wait);

      // Assess
      expect(run).toMatchObject({ status: 'FAILED', error: 'CaptureError' });
      expect(run.visited.slice(-4)).toEqual(['CaptureSnapshot', 'AnalyzeSeries', 'SeriesOutcome', 'SeriesFailed']);
      const message = snsMock.commandCalls(PublishCommand)[0].args[0].input.Message;
      expect(message).toMatch(/failed: task f10f10f10f10f10f10f10f10f10f10f1: 401 bad-signature/);
    },
    SERIES_TIMEOUT_MS,
  );

  test(
    'a failing analysis is published straight to the report topic',
    async () => {
      // Prepare: the first snapshot is damaged in S3 before the analysis reads it
      const damage = async (state: SeriesState) => {
        const [first] = state.snapshots;
        await s3Server.client.send(
          new PutObjectCommand({ Bucket: first.bucket, Key: first.key, Body: 'not a snapshot' }),
        );
      };

      // Act
      const run = await runAsl(definition, request, invoker(TEST_KEYS.privateKey, damage), wait);

      // Assess
      expect(run.status).toBe('FAILED');
      expect(run.visited.filter((state) => state === 'CaptureSnapshot')).toHaveLength(3);
      expect(run.visited.slice(-3)).toEqual(['AnalyzeSeries', 'PublishAnalysisFailure', 'AnalysisFailed']);
      expect(run.cause).toMatch(/not a valid V8 heap snapshot/);
      expect(published[0].parameters).toMatchObject({
        TopicArn: 'report-topic',
        'Message.$': expect.stringMatching(/^States.Format/),
      });
    },
    SERIES_TIMEOUT_MS,
  );
});
