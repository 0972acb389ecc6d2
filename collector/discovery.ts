import {
  ClusterNotFoundException,
  DescribeTasksCommand,
  type ECSClient,
  paginateListTasks,
  ServiceNotFoundException,
  type Task,
} from '@aws-sdk/client-ecs';
import { CaptureError } from './capture-error';

export interface RunningTask {
  readonly taskId: string;
  readonly taskArn: string;
  /** Private IPv4 address of the task's awsvpc network interface. */
  readonly privateIp: string;
  readonly startedAt?: Date;
}

export interface DiscoverTasksOptions {
  readonly ecs: ECSClient;
  readonly cluster: string;
  readonly service: string;
  /** Only these tasks (IDs or ARNs); each must be RUNNING in the service. @default - every running task */
  readonly taskIds?: readonly string[];
}

const DESCRIBE_BATCH = 100;

export function taskIdFromArn(arnOrId: string): string {
  return arnOrId.slice(arnOrId.lastIndexOf('/') + 1);
}

/** RUNNING tasks of an ECS service with the private IPv4 address of each task's ENI. */
export async function discoverTasks(options: DiscoverTasksOptions): Promise<RunningTask[]> {
  const requested = options.taskIds && options.taskIds.length > 0 ? options.taskIds : undefined;
  const arns = requested ?? (await listRunningTaskArns(options));
  if (arns.length === 0) {
    throw new Error(
      `service ${options.service} in cluster ${options.cluster} has no running task: start one (desired count > 0) and try again`,
    );
  }
  const tasks = await describeTasks(options, arns);
  if (!requested) return tasks.filter((task) => task.lastStatus === 'RUNNING').map(toRunningTask);
  return requested.map((idOrArn) => {
    const taskId = taskIdFromArn(idOrArn);
    const task = tasks.find((candidate) => taskIdFromArn(candidate.taskArn ?? '') === taskId);
    if (!task) {
      throw new CaptureError(
        taskId,
        'not-found',
        `not found in cluster ${options.cluster} (stopped long ago or a typo?)`,
      );
    }
    if (task.group !== `service:${options.service}`) {
      throw new CaptureError(
        taskId,
        'not-found',
        `belongs to ${task.group ?? 'no group'}, not service:${options.service}`,
      );
    }
    if (task.lastStatus !== 'RUNNING') {
      throw new CaptureError(taskId, 'not-running', `is ${task.lastStatus ?? 'in an unknown state'}, not RUNNING`);
    }
    return toRunningTask(task);
  });
}

async function listRunningTaskArns(options: DiscoverTasksOptions): Promise<string[]> {
  const arns: string[] = [];
  try {
    const pages = paginateListTasks(
      { client: options.ecs },
      { cluster: options.cluster, serviceName: options.service, desiredStatus: 'RUNNING' },
    );
    for await (const page of pages) arns.push(...(page.taskArns ?? []));
  } catch (error) {
    throw explainEcsError(error, options);
  }
  return arns;
}

async function describeTasks(options: DiscoverTasksOptions, arns: readonly string[]): Promise<Task[]> {
  const tasks: Task[] = [];
  for (let start = 0; start < arns.length; start += DESCRIBE_BATCH) {
    try {
      const page = await options.ecs.send(
        new DescribeTasksCommand({ cluster: options.cluster, tasks: arns.slice(start, start + DESCRIBE_BATCH) }),
      );
      tasks.push(...(page.tasks ?? []));
    } catch (error) {
      throw explainEcsError(error, options);
    }
  }
  return tasks;
}

function explainEcsError(error: unknown, options: DiscoverTasksOptions): Error {
  if (error instanceof ClusterNotFoundException) {
    return new Error(`ECS cluster ${options.cluster} not found: check the cluster name and the AWS region`, {
      cause: error,
    });
  }
  if (error instanceof ServiceNotFoundException) {
    return new Error(
      `ECS service ${options.service} not found in cluster ${options.cluster}: check the service name (not the task family)`,
      { cause: error },
    );
  }
  return error instanceof Error ? error : new Error(String(error));
}

/** A leak has had the most time to grow in the task that has run longest. */
export function longestRunningTask(tasks: readonly RunningTask[]): RunningTask {
  if (tasks.length === 0) throw new Error('no task with a network interface is running');
  const started = (task: RunningTask) => task.startedAt?.getTime() ?? Number.POSITIVE_INFINITY;
  return tasks.reduce((oldest, task) => (started(task) < started(oldest) ? task : oldest));
}

function toRunningTask(task: Task): RunningTask {
  const taskArn = task.taskArn ?? '';
  const taskId = taskIdFromArn(taskArn);
  const eni = task.attachments?.find((attachment) => attachment.type === 'ElasticNetworkInterface');
  const privateIp = eni?.details?.find((detail) => detail.name === 'privateIPv4Address')?.value;
  if (!privateIp) {
    throw new CaptureError(
      taskId,
      'no-network-interface',
      'has no awsvpc network interface with a private IPv4 address: heapwatch reaches tasks by IP, so the task definition needs networkMode awsvpc (always true on Fargate)',
    );
  }
  return { taskId, taskArn, privateIp, startedAt: task.startedAt };
}
