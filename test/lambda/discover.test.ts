import { DescribeTasksCommand, ECSClient, ListTasksCommand } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { adminPortFor } from '../../collector/series';
import { createDiscoverHandler } from '../../lambda/discover';
import { fargateTask } from '../support/ecs-task';

const ecsMock = mockClient(ECSClient);
const task = (id: string, startedAt: string) =>
  fargateTask(id, `10.0.0.${id.length}`, { startedAt: new Date(startedAt) });

describe('discover handler', () => {
  beforeEach(() => ecsMock.reset());

  test('without a task ID picks the longest-running task and the service’s admin port', async () => {
    // Prepare
    ecsMock.on(ListTasksCommand).resolves({ taskArns: ['a', 'bb', 'ccc'] });
    ecsMock.on(DescribeTasksCommand).resolves({
      tasks: [
        task('young', '2026-11-27T00:00:00Z'),
        task('old', '2026-11-20T00:00:00Z'),
        task('mid', '2026-11-25T00:00:00Z'),
      ],
    });
    const handler = createDiscoverHandler({
      ecs: new ECSClient({}),
      adminPortOf: (service) => adminPortFor(service, '{"web":9555}'),
      now: () => new Date('2026-11-27T01:00:00Z'),
    });

    // Act
    const state = await handler({ cluster: 'prod', service: 'web' });

    // Assess
    expect(state).toEqual({
      cluster: 'prod',
      service: 'web',
      taskId: 'old',
      adminPort: 9555,
      count: 3,
      intervalSeconds: 300,
      reason: 'manual',
      startedAt: '2026-11-27T01:00:00.000Z',
      captured: 0,
      snapshots: [],
      profiles: [],
      skippedSnapshots: [],
    });
  });

  test('admin ports fall back to the protocol default for an unregistered service', () => {
    expect(adminPortFor('api', '{"web":9555}')).toBe(9464);
    expect(adminPortFor('api', undefined)).toBe(9464);
  });
});
