import type { Task } from '@aws-sdk/client-ecs';

/** A task ARN in account 123456789012, us-east-1, cluster prod. */
export const taskArn = (id: string) => `arn:aws:ecs:us-east-1:123456789012:task/prod/${id}`;

/**
 * A Fargate task as ECS DescribeTasks returns it: RUNNING in service `web`, with an attached awsvpc ENI whose
 * private IPv4 is `ip` (none when undefined). `overrides` replace any field.
 */
export function fargateTask(id: string, ip: string | undefined, overrides: Partial<Task> = {}): Task {
  return {
    taskArn: taskArn(id),
    group: 'service:web',
    lastStatus: 'RUNNING',
    attachments: [
      {
        type: 'ElasticNetworkInterface',
        status: 'ATTACHED',
        details: [{ name: 'subnetId', value: 'subnet-1' }, ...(ip ? [{ name: 'privateIPv4Address', value: ip }] : [])],
      },
    ],
    ...overrides,
  };
}
