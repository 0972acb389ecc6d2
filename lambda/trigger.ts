import { Logger } from '@aws-lambda-powertools/logger';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { SNSEvent } from 'aws-lambda';
import { type TriggerOptions, triggerSeriesFromNotification } from '../collector/alert-trigger';

const logger = new Logger({ serviceName: 'heapwatch-collector' });

/** SNS subscriber: Alertmanager notifications from AMP → at most one snapshot series per task. */
export function createTriggerHandler(options: TriggerOptions) {
  return async (event: SNSEvent): Promise<void> => {
    for (const record of event.Records) {
      const { outcomes, ignored } = await triggerSeriesFromNotification(record.Sns.Message, options);
      for (const reason of ignored) logger.info('alert ignored', { messageId: record.Sns.MessageId, reason });
      for (const { task, result } of outcomes) {
        logger.info(result.started ? 'series started' : 'series not started', { task, ...result });
      }
    }
  };
}

function optionalNumber(name: string): number | undefined {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : Number(value);
}

let configured: ((event: SNSEvent) => Promise<void>) | undefined;

export const handler = (event: SNSEvent): Promise<void> => {
  const stateMachineArn = process.env.HEAPWATCH_STATE_MACHINE_ARN;
  if (!stateMachineArn)
    throw new Error('HEAPWATCH_STATE_MACHINE_ARN is not set: the SnapshotCollector construct sets it');
  configured ??= createTriggerHandler({
    sfn: new SFNClient({}),
    stateMachineArn,
    count: optionalNumber('HEAPWATCH_SNAPSHOT_COUNT'),
    intervalSeconds: optionalNumber('HEAPWATCH_SNAPSHOT_INTERVAL_SECONDS'),
    windowSeconds: optionalNumber('HEAPWATCH_SERIES_WINDOW_SECONDS'),
  });
  return configured(event);
};
