import type { SFNClient } from '@aws-sdk/client-sfn';
import { seriesRequestsFromNotification } from './alert-notification';
import { errorMessage } from './capture-error';
import { normalizeSeriesRequest } from './series';
import { type StartSeriesResult, startSeriesOnce } from './start-series';

export interface TriggerOptions {
  readonly sfn: SFNClient;
  readonly stateMachineArn: string;
  /** Snapshots per series. @default 3 */
  readonly count?: number;
  /** @default 300 */
  readonly intervalSeconds?: number;
  /** @default 3600 */
  readonly windowSeconds?: number;
  readonly now?: () => Date;
}

export interface TriggerOutcome {
  readonly task: string;
  readonly result: StartSeriesResult;
}

/** Turns one Alertmanager notification into at most one running series per task. */
export async function triggerSeriesFromNotification(
  message: string,
  options: TriggerOptions,
): Promise<{ outcomes: TriggerOutcome[]; ignored: string[] }> {
  const { requests, ignored } = seriesRequestsFromNotification(message);
  const outcomes: TriggerOutcome[] = [];
  for (const labelled of requests) {
    const request = { ...labelled, count: options.count, intervalSeconds: options.intervalSeconds };
    const task = `${request.cluster}/${request.service}/${request.taskId}`;
    try {
      normalizeSeriesRequest(request);
    } catch (error) {
      // Bad labels never get better: skip them, so SNS does not retry the whole notification.
      ignored.push(`${task}: ${errorMessage(error)}`);
      continue;
    }
    const result = await startSeriesOnce({
      sfn: options.sfn,
      stateMachineArn: options.stateMachineArn,
      request: { ...request, taskId: request.taskId ?? '' },
      windowSeconds: options.windowSeconds,
      now: options.now,
    });
    outcomes.push({ task, result });
  }
  return { outcomes, ignored };
}
