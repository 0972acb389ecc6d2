import type { SFNClient } from '@aws-sdk/client-sfn';
import { seriesRequestsFromNotification } from './alert-notification';
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
  for (const request of requests) {
    const taskId = request.taskId ?? '';
    const result = await startSeriesOnce({
      sfn: options.sfn,
      stateMachineArn: options.stateMachineArn,
      request: { ...request, taskId, count: options.count, intervalSeconds: options.intervalSeconds },
      windowSeconds: options.windowSeconds,
      now: options.now,
    });
    outcomes.push({ task: `${request.cluster}/${request.service}/${taskId}`, result });
  }
  return { outcomes, ignored };
}
