import { createHash } from 'node:crypto';
import {
  ExecutionAlreadyExists,
  paginateListExecutions,
  type SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { normalizeSeriesRequest, type SeriesRequest } from './series';

export interface StartSeriesOptions {
  readonly sfn: SFNClient;
  readonly stateMachineArn: string;
  readonly request: SeriesRequest & { readonly taskId: string };
  /** At most one series per task per window, and never two at once. @default 3600 */
  readonly windowSeconds?: number;
  /** @default the system clock */
  readonly now?: () => Date;
}

export type StartSeriesResult =
  | { readonly started: true; readonly executionArn: string; readonly name: string }
  | { readonly started: false; readonly why: string; readonly executionArn?: string };

const DEFAULT_WINDOW_SECONDS = 3600;

/** `hw-<taskId>-` (hashed when the ID is long or unusual), the prefix of every execution of one task. */
export function executionPrefix(taskId: string): string {
  const id = /^[A-Za-z0-9_-]{1,56}$/.test(taskId)
    ? taskId
    : createHash('sha256').update(taskId).digest('hex').slice(0, 32);
  return `hw-${id}-`;
}

/** Deterministic per task and time window, so every repeat of an alert maps to the same execution name. */
export function executionName(taskId: string, windowStart: Date): string {
  return `${executionPrefix(taskId)}${windowStart.toISOString().slice(0, 16).replace(/[-:]/g, '')}`;
}

/**
 * Starts a snapshot series for a task unless one is running or already ran in this window, however many alerts
 * race here at once: (1) a running execution for the task wins; (2) the execution name is deterministic per task and
 * window, so Step Functions itself refuses duplicates; (3) two starts straddling a window boundary are reconciled
 * afterwards — every caller keeps the same winner (the smallest name) and stops its own loser.
 */
export async function startSeriesOnce(options: StartSeriesOptions): Promise<StartSeriesResult> {
  const request = normalizeSeriesRequest(options.request);
  const taskId = options.request.taskId;
  const windowSeconds = options.windowSeconds ?? DEFAULT_WINDOW_SECONDS;
  const running = await runningExecutionsOf(options, taskId);
  if (running.length > 0) {
    return { started: false, why: `series ${running[0].name} is already running`, executionArn: running[0].arn };
  }
  const nowMs = (options.now ?? (() => new Date()))().getTime();
  const windowStart = new Date(Math.floor(nowMs / (windowSeconds * 1000)) * windowSeconds * 1000);
  const name = executionName(taskId, windowStart);
  let executionArn: string;
  try {
    const started = await options.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: options.stateMachineArn,
        name,
        // Same input for every caller in the window: Step Functions then treats a repeat as idempotent.
        input: JSON.stringify({ ...request, taskId, window: windowStart.toISOString() }),
      }),
    );
    executionArn = started.executionArn ?? '';
  } catch (error) {
    if (error instanceof ExecutionAlreadyExists) {
      return { started: false, why: `series ${name} already ran in this ${windowSeconds} s window` };
    }
    throw error;
  }
  const contenders = await runningExecutionsOf(options, taskId);
  const winner = contenders.reduce((best, candidate) => (candidate.name < best.name ? candidate : best), {
    name,
    arn: executionArn,
  });
  if (winner.arn !== executionArn) {
    await options.sfn.send(
      new StopExecutionCommand({
        executionArn,
        error: 'Heapwatch.Duplicate',
        cause: `series ${winner.name} runs for this task`,
      }),
    );
    return { started: false, why: `series ${winner.name} started concurrently`, executionArn: winner.arn };
  }
  return { started: true, executionArn, name };
}

async function runningExecutionsOf(
  options: StartSeriesOptions,
  taskId: string,
): Promise<{ name: string; arn: string }[]> {
  const prefix = executionPrefix(taskId);
  const found: { name: string; arn: string }[] = [];
  const pages = paginateListExecutions(
    { client: options.sfn },
    { stateMachineArn: options.stateMachineArn, statusFilter: 'RUNNING' },
  );
  for await (const page of pages) {
    for (const execution of page.executions ?? []) {
      if (execution.name?.startsWith(prefix)) found.push({ name: execution.name, arn: execution.executionArn ?? '' });
    }
  }
  return found;
}
