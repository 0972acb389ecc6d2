import { DescribeServicesCommand, DescribeTasksCommand, ECSClient, ListTasksCommand } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { adminEndpointOf } from '../../collector/watched-service';
import { createDiscoverHandler } from '../../lambda/discover';
import { fargateTask } from '../support/ecs-task';

const ecsMock = mockClient(ECSClient);
const task = (id: string, startedAt: string) =>
  fargateTask(id, `10.0.0.${id.length}`, { startedAt: new Date(startedAt) });

function taggedService(name: string, tags: Record<string, string>) {
  return {
    serviceName: name,
    status: 'ACTIVE',
    tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
  };
}

describe('discover handler', () => {
  beforeEach(() => ecsMock.reset());

  test('without a task ID picks the longest-running task, and the admin port and path the service is tagged with', async () => {
    // Prepare
    ecsMock.on(ListTasksCommand).resolves({ taskArns: ['a', 'bb', 'ccc'] });
    ecsMock.on(DescribeTasksCommand).resolves({
      tasks: [
        task('young', '2026-11-27T00:00:00Z'),
        task('old', '2026-11-20T00:00:00Z'),
        task('mid', '2026-11-25T00:00:00Z'),
      ],
    });
    ecsMock.on(DescribeServicesCommand, { cluster: 'prod', services: ['web'], include: ['TAGS'] }).resolves({
      services: [taggedService('web', { 'heapwatch:admin-port': '8080', 'heapwatch:admin-path': '/_heapwatch' })],
    });
    const ecs = new ECSClient({});
    const handler = createDiscoverHandler({
      ecs,
      adminEndpointOf: (cluster, service) => adminEndpointOf(ecs, cluster, service),
      now: () => new Date('2026-11-27T01:00:00Z'),
    });

    // Act
    const state = await handler({ cluster: 'prod', service: 'web' });

    // Assess
    expect(state).toEqual({
      cluster: 'prod',
      service: 'web',
      taskId: 'old',
      adminPort: 8080,
      adminPath: '/_heapwatch',
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
});

describe('adminEndpointOf', () => {
  beforeEach(() => ecsMock.reset());
  const ecs = () => new ECSClient({});

  test('defaults the path to the admin server’s (no prefix)', async () => {
    ecsMock
      .on(DescribeServicesCommand)
      .resolves({ services: [taggedService('web', { 'heapwatch:admin-port': '9464' })] });
    await expect(adminEndpointOf(ecs(), 'prod', 'web')).resolves.toEqual({ adminPort: 9464, adminPath: '' });
  });

  test('refuses a service heapwatch does not watch, saying how to watch it', async () => {
    ecsMock.on(DescribeServicesCommand).resolves({ services: [taggedService('api', { team: 'payments' })] });
    await expect(adminEndpointOf(ecs(), 'prod', 'api')).rejects.toThrow(
      'service api in cluster prod is not watched by heapwatch: it has no heapwatch:admin-port tag. Call heapwatch.watch(service)',
    );
  });

  test('refuses an unknown or deleted service, and tags that are not a port or a path', async () => {
    ecsMock
      .on(DescribeServicesCommand, { services: ['gone'] })
      .resolves({ services: [{ serviceName: 'gone', status: 'INACTIVE' }], failures: [] })
      .on(DescribeServicesCommand, { services: ['odd'] })
      .resolves({ services: [taggedService('odd', { 'heapwatch:admin-port': '94640' })] })
      .on(DescribeServicesCommand, { services: ['path'] })
      .resolves({
        services: [taggedService('path', { 'heapwatch:admin-port': '9464', 'heapwatch:admin-path': 'x/../y' })],
      });
    await expect(adminEndpointOf(ecs(), 'prod', 'gone')).rejects.toThrow('service gone was not found in cluster prod');
    await expect(adminEndpointOf(ecs(), 'prod', 'odd')).rejects.toThrow('"94640" is not a port');
    await expect(adminEndpointOf(ecs(), 'prod', 'path')).rejects.toThrow('is not a path prefix');
  });
});
