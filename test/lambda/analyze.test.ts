import { tmpdir } from 'node:os';
import { DescribeTasksCommand, ECSClient } from '@aws-sdk/client-ecs';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { type SeriesState, seriesId } from '../../collector/series';
import { staticSigningKeySource } from '../../collector/signing-key-source';
import { createAnalyzeHandler, diffAnalyzer, lambdaMemoryBudget } from '../../lambda/analyze';
import { createCaptureHandler } from '../../lambda/capture';
import { createDiscoverHandler } from '../../lambda/discover';
import { type AgentProcess, startAgentProcess } from '../support/agent-harness';
import { fargateTask } from '../support/ecs-task';
import { type LoopbackS3, startLoopbackS3 } from '../support/s3-server';
import { TEST_KEYS } from '../support/test-keys';

const TASK_ID = 'leaky0000000000000000000000000000';
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:heapwatch-reports';
const ecsMock = mockClient(ECSClient);
const snsMock = mockClient(SNSClient);

describe('a series through the discover, capture and analyze handlers', () => {
  let s3: LoopbackS3;
  let agent: AgentProcess;
  let series: SeriesState;

  beforeAll(async () => {
    [s3, agent] = await Promise.all([
      startLoopbackS3(),
      startAgentProcess({ taskId: TASK_ID, leakPerTick: 200, heapSamplingIntervalBytes: 8192 }),
    ]);
    ecsMock.on(DescribeTasksCommand).resolves({
      tasks: [fargateTask(TASK_ID, '127.0.0.1', { group: 'service:shop' })],
    });
    const discover = createDiscoverHandler({
      ecs: new ECSClient({}),
      adminEndpointOf: async () => ({ adminPort: agent.port, adminPath: '' }),
    });
    const capture = createCaptureHandler({
      ecs: new ECSClient({}),
      s3: s3.client,
      bucket: s3.bucket,
      signingKey: staticSigningKeySource(TEST_KEYS.privateKey),
    });
    // What the state machine does: find the task, then capture with waits in between.
    series = await discover({ cluster: 'prod', service: 'shop', taskId: TASK_ID, count: 3, intervalSeconds: 1 });
    while (series.captured < series.count) {
      if (series.captured > 0) await new Promise((resolve) => setTimeout(resolve, series.intervalSeconds * 1000));
      series = await capture(series);
    }
  });
  afterAll(async () => {
    await agent?.kill();
    await s3?.close();
  });
  beforeEach(() => {
    snsMock.reset();
    snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' });
  });

  const analyzeWith = (maxSnapshotBytes: number) =>
    createAnalyzeHandler({
      s3: s3.client,
      sns: new SNSClient({}),
      topicArn: TOPIC,
      analyzer: diffAnalyzer,
      maxSnapshotBytes,
      workDir: tmpdir(),
    });

  const readText = async (key: string) =>
    (await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }))).Body!.transformToString();
  /** Where this series' reports land. */
  const seriesPrefix = () => `prod/shop/${TASK_ID}/series-${seriesId(series.startedAt)}/`;

  test('writes report.json/.md/.html in the series’ folder and publishes the verdict, suspects and locations', async () => {
    // Act
    const outcome = await analyzeWith(2 * 1024 ** 3)(series);

    // Assess
    const prefix = seriesPrefix();
    expect(outcome).toMatchObject({ verdict: 'leak', analysed: true });
    const report = JSON.parse(await readText(`${prefix}report.json`));
    expect(report.verdict).toBe('leak');
    expect(report.suspects[0].name).toContain('LeakedSession');
    expect(report.series.snapshots.map((snapshot: { key: string }) => snapshot.key)).toEqual(
      series.snapshots.map((snapshot) => snapshot.key),
    );
    expect(await readText(`${prefix}report.md`)).toMatch(
      /LeakedSession[\s\S]*## Run the diff locally[\s\S]*npx heapwatch diff/,
    );
    const html = await s3.client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: `${prefix}report.html` }));
    expect(html.ContentType).toMatch(/^text\/html/);
    const [publish] = snsMock.commandCalls(PublishCommand);
    expect(publish.args[0].input.TopicArn).toBe(TOPIC);
    expect(publish.args[0].input.Subject).toBe(`heapwatch leak: prod/shop/${TASK_ID}`);
    const message = publish.args[0].input.Message ?? '';
    expect(message).toMatch(/verdict: leak/);
    expect(message).toMatch(/1\. .*LeakedSession.*\n {3}retained by: .* → /);
    expect(message).toContain(`s3://${s3.bucket}/${prefix}report.md`);
    expect(message).toContain(`s3://${s3.bucket}/${series.snapshots[0].key}`);
  });

  test('keeps each series’ report and points latest-report.json at the newest series, whatever order they finish in', async () => {
    // Prepare: the same captures as a series that started an hour later, and one that started an hour earlier
    const later = { ...series, startedAt: new Date(Date.parse(series.startedAt) + 3_600_000).toISOString() };
    const earlier = { ...series, startedAt: new Date(Date.parse(series.startedAt) - 3_600_000).toISOString() };
    const analyze = analyzeWith(1000);

    // Act: the later one finishes first
    await analyze(later);
    await analyze(earlier);

    // Assess
    const keys = await s3.listKeys(`prod/shop/${TASK_ID}/series-`);
    for (const started of [later, earlier])
      expect(keys).toContain(`prod/shop/${TASK_ID}/series-${seriesId(started.startedAt)}/report.html`);
    const pointer = JSON.parse(await readText(`prod/shop/${TASK_ID}/latest-report.json`));
    expect(pointer).toEqual({
      startedAt: later.startedAt,
      verdict: 'leak',
      bucket: s3.bucket,
      report: {
        json: `prod/shop/${TASK_ID}/series-${seriesId(later.startedAt)}/report.json`,
        md: `prod/shop/${TASK_ID}/series-${seriesId(later.startedAt)}/report.md`,
        html: `prod/shop/${TASK_ID}/series-${seriesId(later.startedAt)}/report.html`,
      },
    });
  });

  test('hands a series too big for the function to a Fargate task sized for it, storing only the series for it', async () => {
    // Prepare
    const analyze = createAnalyzeHandler({
      s3: s3.client,
      sns: new SNSClient({}),
      topicArn: TOPIC,
      analyzer: diffAnalyzer,
      maxSnapshotBytes: 1000,
      fargate: true,
      workDir: tmpdir(),
    });

    // Act
    const outcome = await analyze({ ...series, service: 'delegated' });

    // Assess
    const seriesInputKey = `prod/delegated/${TASK_ID}/series-${seriesId(series.startedAt)}/input.json`;
    expect(outcome).toEqual({
      verdict: 'delegated',
      analysed: false,
      fargate: { cpu: '4096', memoryMiB: '8192', nodeOptions: '--max-old-space-size=6963', seriesInputKey },
    });
    expect(await s3.listKeys(`prod/delegated/`)).toEqual([seriesInputKey]);
    expect(JSON.parse(await readText(seriesInputKey))).toEqual({ ...series, service: 'delegated' });
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(0);
  });

  test('diagnoses from the heap profiles when the snapshots are too large for Lambda, and says how to diff them', async () => {
    // Act
    const outcome = await analyzeWith(1000)({ ...series, service: 'shop' });

    // Assess
    expect(outcome).toMatchObject({ verdict: 'leak', analysed: true });
    const markdown = await readText(`${seriesPrefix()}report.md`);
    expect(markdown).toMatch(/Snapshots not analysed in Lambda: the largest is .*, above the 1000 B/);
    expect(markdown).toContain(`aws s3 cp s3://${s3.bucket}/${series.snapshots[0].key} `);
    expect(markdown).toContain(`aws s3 cp s3://${s3.bucket}/${series.profiles[0].key} `);
    const report = JSON.parse(await readText(`${seriesPrefix()}report.json`));
    expect(report.suspects[0].allocationSite).toMatchObject({ url: expect.stringMatching(/agent-process\.ts$/) });
    const message = snsMock.commandCalls(PublishCommand)[0].args[0].input.Message ?? '';
    expect(message).toMatch(/allocated in: .* \(.*agent-process\.ts:\d+:\d+\)/);
  });

  test('diagnoses from heap profiles alone when every snapshot was refused, and says why', async () => {
    // Prepare: what a series on a task without room for snapshots hands over
    const refused = series.profiles.map((_, index) => ({
      step: index + 1,
      reason: 'insufficient-memory',
      message: `task ${TASK_ID}: the agent refused: not enough memory headroom for a capture`,
    }));

    // Act
    const outcome = await analyzeWith(2 * 1024 ** 3)({ ...series, snapshots: [], skippedSnapshots: refused });

    // Assess
    expect(outcome).toMatchObject({ verdict: 'leak', analysed: true });
    const markdown = await readText(`${seriesPrefix()}report.md`);
    expect(markdown).toContain('**Snapshots skipped in 3 step(s)**, the series went on with heap profiles');
    const message = snsMock.commandCalls(PublishCommand)[0].args[0].input.Message ?? '';
    expect(message).toContain('snapshots skipped in 3 step(s) (insufficient-memory): diagnosed from heap profiles');
  });

  test('publishes a failure summary when the series broke before two snapshots', async () => {
    // Prepare: what the Catch hands over after the first capture failed
    const failure = {
      Error: 'CaptureError',
      Cause: JSON.stringify({ errorType: 'CaptureError', errorMessage: `task ${TASK_ID}: 401 bad-signature: …` }),
    };

    // Act
    const outcome = await analyzeWith(2 * 1024 ** 3)({ ...series, captured: 0, snapshots: [], profiles: [], failure });

    // Assess
    expect(outcome).toEqual({ verdict: 'failed', analysed: false });
    const message = snsMock.commandCalls(PublishCommand)[0].args[0].input.Message;
    expect(message).toContain(`failed: task ${TASK_ID}: 401 bad-signature: …`);
  });
});

describe('lambdaMemoryBudget', () => {
  test('gives the analysis threads 3/4 of the function’s memory, and leaves the default outside Lambda', () => {
    expect(lambdaMemoryBudget({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '10240' })).toBe(7680 * 1024 * 1024);
    expect(lambdaMemoryBudget({})).toBeUndefined();
    expect(lambdaMemoryBudget({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: 'lots' })).toBeUndefined();
  });
});
