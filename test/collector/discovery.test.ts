import {
  ClusterNotFoundException,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  ServiceNotFoundException,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { discoverTasks } from '../../collector/discovery';
import { taskArn as arn, fargateTask } from '../support/ecs-task';

const ecsMock = mockClient(ECSClient);
const ecs = new ECSClient({ region: 'us-east-1' });

describe('discoverTasks', () => {
  beforeEach(() => ecsMock.reset());

  test('lists every page of running tasks and returns each with its ENI private IPv4', async () => {
    // Prepare: 150 tasks over two pages, so DescribeTasks runs in batches of 100
    const ids = Array.from({ length: 150 }, (_, i) => `task${String(i).padStart(3, '0')}`);
    ecsMock
      .on(ListTasksCommand, { nextToken: undefined })
      .resolves({ taskArns: ids.slice(0, 100).map(arn), nextToken: 'page-2' })
      .on(ListTasksCommand, { nextToken: 'page-2' })
      .resolves({ taskArns: ids.slice(100).map(arn) });
    ecsMock.on(DescribeTasksCommand).callsFake((input: { tasks: string[] }) => ({
      tasks: input.tasks.map((taskArn, i) =>
        fargateTask(taskArn.split('/').pop()!, `10.0.1.${i}`, i === 3 ? { lastStatus: 'PROVISIONING' } : {}),
      ),
    }));

    // Act
    const tasks = await discoverTasks({ ecs, cluster: 'prod', service: 'web' });

    // Assess
    expect(tasks).toHaveLength(148);
    expect(tasks[0]).toMatchObject({ taskId: 'task000', taskArn: arn('task000'), privateIp: '10.0.1.0' });
    const listCalls = ecsMock.commandCalls(ListTasksCommand);
    expect(listCalls).toHaveLength(2);
    expect(listCalls[0].args[0].input).toMatchObject({ cluster: 'prod', serviceName: 'web', desiredStatus: 'RUNNING' });
    expect(ecsMock.commandCalls(DescribeTasksCommand).map((call) => call.args[0].input.tasks?.length)).toEqual([
      100, 50,
    ]);
  });

  test('describes only the requested tasks', async () => {
    // Prepare
    ecsMock.on(DescribeTasksCommand).resolves({ tasks: [fargateTask('abc', '10.0.2.7')] });

    // Act
    const tasks = await discoverTasks({ ecs, cluster: 'prod', service: 'web', taskIds: ['abc'] });

    // Assess
    expect(tasks).toEqual([{ taskId: 'abc', taskArn: arn('abc'), privateIp: '10.0.2.7', startedAt: undefined }]);
    expect(ecsMock.commandCalls(ListTasksCommand)).toHaveLength(0);
  });

  test('names an unknown cluster', async () => {
    ecsMock
      .on(ListTasksCommand)
      .rejects(new ClusterNotFoundException({ message: 'Cluster not found.', $metadata: {} }));
    await expect(discoverTasks({ ecs, cluster: 'nope', service: 'web' })).rejects.toThrow(
      /ECS cluster nope not found: check the cluster name and the AWS region/,
    );
  });

  test('names an unknown service', async () => {
    ecsMock
      .on(ListTasksCommand)
      .rejects(new ServiceNotFoundException({ message: 'Service not found.', $metadata: {} }));
    await expect(discoverTasks({ ecs, cluster: 'prod', service: 'nope' })).rejects.toThrow(
      /ECS service nope not found in cluster prod/,
    );
  });

  test('says when a service has no running task', async () => {
    ecsMock.on(ListTasksCommand).resolves({ taskArns: [] });
    await expect(discoverTasks({ ecs, cluster: 'prod', service: 'web' })).rejects.toThrow(
      /service web in cluster prod has no running task/,
    );
  });

  test('says which task has no ENI', async () => {
    ecsMock.on(ListTasksCommand).resolves({ taskArns: [arn('bridge1')] });
    ecsMock.on(DescribeTasksCommand).resolves({ tasks: [fargateTask('bridge1', undefined)] });
    await expect(discoverTasks({ ecs, cluster: 'prod', service: 'web' })).rejects.toThrow(
      /task bridge1: has no awsvpc network interface/,
    );
  });

  test.each([
    [
      'missing',
      { tasks: [], failures: [{ arn: arn('gone'), reason: 'MISSING' }] },
      /task gone: not found in cluster prod/,
    ],
    [
      'stopped',
      { tasks: [fargateTask('gone', '10.0.0.1', { lastStatus: 'STOPPED' })] },
      /task gone: is STOPPED, not RUNNING/,
    ],
    [
      'in another service',
      { tasks: [fargateTask('gone', '10.0.0.1', { group: 'service:api' })] },
      /belongs to service:api/,
    ],
  ])('rejects a requested task that is %s', async (_case, answer, message) => {
    ecsMock.on(DescribeTasksCommand).resolves(answer);
    await expect(discoverTasks({ ecs, cluster: 'prod', service: 'web', taskIds: ['gone'] })).rejects.toThrow(message);
  });
});
