import { DescribeTasksCommand, ECSClient } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import type { SeriesState } from '../../collector/series';
import { staticSigningKeySource } from '../../collector/signing-key-source';
import { createCaptureHandler } from '../../lambda/capture';
import { type AgentProcess, startAgentProcess } from '../support/agent-harness';
import { fargateTask } from '../support/ecs-task';
import { type LoopbackS3, startLoopbackS3 } from '../support/s3-server';
import { TEST_KEYS } from '../support/test-keys';

const TASK_ID = 'feedfacefeedfacefeedfacefeedface';
const ecsMock = mockClient(ECSClient);

describe('capture handler', () => {
  let s3: LoopbackS3;
  let agent: AgentProcess;
  beforeAll(async () => {
    [s3, agent] = await Promise.all([startLoopbackS3(), startAgentProcess({ taskId: TASK_ID })]);
  });
  afterAll(async () => {
    await agent?.kill();
    await s3?.close();
  });

  const state: SeriesState = {
    cluster: 'prod',
    service: 'web',
    taskId: TASK_ID,
    adminPort: 0,
    count: 3,
    intervalSeconds: 300,
    reason: 'manual',
    startedAt: '2026-11-27T01:00:00.000Z',
    captured: 0,
    snapshots: [],
    profiles: [],
    skippedSnapshots: [],
  };

  test('finds the task’s current IP and appends each step’s profile and snapshot to the series state', async () => {
    // Prepare: ECS reports the loopback agent as the task's ENI address
    ecsMock.on(DescribeTasksCommand).resolves({ tasks: [fargateTask(TASK_ID, '127.0.0.1')] });
    const handler = createCaptureHandler({
      ecs: new ECSClient({}),
      s3: s3.client,
      bucket: s3.bucket,
      signingKey: staticSigningKeySource(TEST_KEYS.privateKey),
    });

    // Act
    const first = await handler({ ...state, adminPort: agent.port });
    const second = await handler(first);

    // Assess
    expect(second.captured).toBe(2);
    expect([...second.profiles, ...second.snapshots].map((capture) => capture.key).sort()).toEqual(
      (await s3.listKeys(`prod/web/${TASK_ID}/`)).sort(),
    );
    expect(second.snapshots.map((snapshot) => snapshot.key)).toEqual([
      expect.stringMatching(/\.heapsnapshot$/),
      expect.stringMatching(/\.heapsnapshot$/),
    ]);
    expect(second.profiles.map((profile) => profile.kind)).toEqual(['heapprofile', 'heapprofile']);
    expect(second.snapshots[0].key < second.snapshots[1].key).toBe(true);
    expect(second.skippedSnapshots).toEqual([]);
  });

  test('a series of 4 steps takes a profile at each and snapshots only at the 3 steps its diff uses', async () => {
    // Prepare
    ecsMock
      .on(DescribeTasksCommand)
      .resolves({ tasks: [fargateTask(TASK_ID, '127.0.0.1', { group: 'service:long' })] });
    const handler = createCaptureHandler({
      ecs: new ECSClient({}),
      s3: s3.client,
      bucket: s3.bucket,
      signingKey: staticSigningKeySource(TEST_KEYS.privateKey),
    });

    // Act
    let series: SeriesState = { ...state, service: 'long', count: 4, adminPort: agent.port };
    while (series.captured < series.count) series = await handler(series);

    // Assess: steps 1, 2 and 4 (first, middle, last), every one of them used by the diff
    expect(series.profiles).toHaveLength(4);
    expect(series.snapshots).toHaveLength(3);
    expect(series.skippedSnapshots).toEqual([]);
    expect((await s3.listKeys(`prod/long/${TASK_ID}/`)).filter((key) => key.endsWith('.heapsnapshot'))).toHaveLength(3);
  });

  test('goes on with profiles when the agent refuses snapshots for lack of memory, and says why', async () => {
    // Prepare: an agent whose headroom guard asks for far more memory than any machine has
    const refusing = await startAgentProcess({ taskId: TASK_ID, captureMemoryFactor: 1e9 });
    ecsMock
      .on(DescribeTasksCommand)
      .resolves({ tasks: [fargateTask(TASK_ID, '127.0.0.1', { group: 'service:small' })] });
    const handler = createCaptureHandler({
      ecs: new ECSClient({}),
      s3: s3.client,
      bucket: s3.bucket,
      signingKey: staticSigningKeySource(TEST_KEYS.privateKey),
    });
    try {
      // Act
      const first = await handler({ ...state, service: 'small', adminPort: refusing.port });
      const second = await handler(first);
      // Assess
      expect(second.captured).toBe(2);
      expect(second.snapshots).toEqual([]);
      expect(second.profiles).toHaveLength(2);
      expect(second.skippedSnapshots).toEqual([
        { step: 1, reason: 'insufficient-memory', message: expect.stringContaining('not enough memory headroom') },
        { step: 2, reason: 'insufficient-memory', message: expect.stringContaining('not enough memory headroom') },
      ]);
      expect(await s3.listKeys(`prod/small/${TASK_ID}/`)).toEqual(second.profiles.map((profile) => profile.key));
    } finally {
      await refusing.kill();
    }
  });

  test('fails with the task named when the task stopped between two captures', async () => {
    // Prepare
    ecsMock.on(DescribeTasksCommand).resolves({
      tasks: [fargateTask(TASK_ID, undefined, { lastStatus: 'STOPPED', attachments: [] })],
    });
    const handler = createCaptureHandler({
      ecs: new ECSClient({}),
      s3: s3.client,
      bucket: s3.bucket,
      signingKey: staticSigningKeySource(TEST_KEYS.privateKey),
    });

    const logged = [process.stdout, process.stderr].map((stream) =>
      jest.spyOn(stream, 'write').mockImplementation(() => true),
    );

    // Act + Assess
    try {
      await expect(handler({ ...state, adminPort: agent.port })).rejects.toThrow(
        `task ${TASK_ID}: is STOPPED, not RUNNING`,
      );
      // The on-call reads the log line: the service and the error text must survive Powertools' reserved keys.
      const lines = logged.flatMap((spy) => spy.mock.calls.map(([text]) => String(text))).join('');
      const failure = lines
        .split('\n')
        .filter((line) => line.includes('capture failed'))
        .map((line) => JSON.parse(line) as Record<string, unknown>)[0];
      expect(failure).toMatchObject({ cluster: 'prod', ecsService: 'web', taskId: TASK_ID });
      expect(failure?.error).toContain('is STOPPED, not RUNNING');
      expect(lines).not.toContain('reserved key');
    } finally {
      for (const spy of logged) spy.mockRestore();
    }
  });
});
