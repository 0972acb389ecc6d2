import { DescribeTasksCommand, ECSClient } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { staticSecretSource } from '../../collector/secret-source';
import type { SeriesState } from '../../collector/series';
import { createCaptureHandler } from '../../lambda/capture';
import { type AgentProcess, startAgentProcess } from '../support/agent-harness';
import { fargateTask } from '../support/ecs-task';
import { type LoopbackS3, startLoopbackS3 } from '../support/s3-server';

const SECRET = 'capture-handler-secret-0123456789abcd';
const TASK_ID = 'feedfacefeedfacefeedfacefeedface';
const ecsMock = mockClient(ECSClient);

describe('capture handler', () => {
  let s3: LoopbackS3;
  let agent: AgentProcess;
  beforeAll(async () => {
    [s3, agent] = await Promise.all([startLoopbackS3(), startAgentProcess({ secret: SECRET, taskId: TASK_ID })]);
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
  };

  test('finds the task’s current IP and appends each stored snapshot to the series state', async () => {
    // Prepare: ECS reports the loopback agent as the task's ENI address
    ecsMock.on(DescribeTasksCommand).resolves({ tasks: [fargateTask(TASK_ID, '127.0.0.1')] });
    const handler = createCaptureHandler({
      ecs: new ECSClient({}),
      s3: s3.client,
      bucket: s3.bucket,
      secrets: staticSecretSource({ current: SECRET }),
    });

    // Act
    const first = await handler({ ...state, adminPort: agent.port });
    const second = await handler(first);

    // Assess
    expect(second.captured).toBe(2);
    expect(second.snapshots.map((snapshot) => snapshot.key)).toEqual(
      (await s3.listKeys(`prod/web/${TASK_ID}/`)).sort(),
    );
    expect(second.snapshots[0].key < second.snapshots[1].key).toBe(true);
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
      secrets: staticSecretSource({ current: SECRET }),
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
