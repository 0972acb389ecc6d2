import type { AgentLogger } from './options';
import { taskIdFromHostname } from './options';

export interface ResolveTaskIdOptions {
  /** @default 2000 */
  readonly metadataTimeoutMs?: number;
  /** @default console */
  readonly logger?: AgentLogger;
}

/** `arn:aws:ecs:region:account:task/cluster/abc123` → `abc123` */
export function taskIdFromArn(taskArn: string): string | undefined {
  const last = taskArn.split('/').at(-1);
  return last && /^[A-Za-z0-9._-]{1,128}$/.test(last) ? last : undefined;
}

async function taskIdFromEcsMetadata(metadataUri: string, timeoutMs: number): Promise<string> {
  const response = await fetch(`${metadataUri.replace(/\/$/, '')}/task`, { signal: AbortSignal.timeout(timeoutMs) });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  const body = (await response.json()) as { TaskARN?: unknown };
  const taskId = typeof body.TaskARN === 'string' ? taskIdFromArn(body.TaskARN) : undefined;
  if (!taskId) throw new Error(`no usable TaskARN in the answer (${JSON.stringify(body.TaskARN)})`);
  return taskId;
}

/**
 * HEAPWATCH_TASK_ID, else the ECS task id from the task metadata endpoint v4 (`$ECS_CONTAINER_METADATA_URI_V4/task`
 * → last segment of TaskARN), else the hostname.
 */
export async function resolveTaskId(
  env: NodeJS.ProcessEnv = process.env,
  options: ResolveTaskIdOptions = {},
): Promise<string> {
  const explicit = env.HEAPWATCH_TASK_ID?.trim();
  if (explicit) return explicit;
  const metadataUri = env.ECS_CONTAINER_METADATA_URI_V4?.trim();
  if (metadataUri) {
    try {
      return await taskIdFromEcsMetadata(metadataUri, options.metadataTimeoutMs ?? 2000);
    } catch (error) {
      (options.logger ?? console).warn(
        `heapwatch: could not read the task id from ECS_CONTAINER_METADATA_URI_V4 (${(error as Error).message}); ` +
          'using the hostname. Set HEAPWATCH_TASK_ID to choose it.',
      );
    }
  }
  return taskIdFromHostname();
}
