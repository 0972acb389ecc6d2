import type { SNSEvent, SNSEventRecord } from 'aws-lambda';
import { createTriggerHandler } from '../../lambda/trigger';
import { simulateStepFunctions } from '../support/simulated-step-functions';

const STATE_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:heapwatch-series';

function snsEvent(messages: string[]): SNSEvent {
  return {
    Records: messages.map(
      (Message, index) =>
        ({ EventSource: 'aws:sns', Sns: { MessageId: `m-${index}`, Message } }) as unknown as SNSEventRecord,
    ),
  };
}

const firing = (taskId: string) =>
  JSON.stringify({
    status: 'firing',
    alerts: [
      {
        status: 'firing',
        labels: { alertname: 'HeapwatchLeakSuspected', cluster: 'prod', service: 'web', task_id: taskId },
      },
    ],
  });

describe('trigger handler', () => {
  test('starts one series per task with the configured count and interval, whatever the batch holds', async () => {
    // Prepare
    const sfn = simulateStepFunctions(STATE_MACHINE);
    const handler = createTriggerHandler({
      sfn: sfn.client,
      stateMachineArn: STATE_MACHINE,
      count: 4,
      intervalSeconds: 120,
    });
    const messages = [
      ...Array.from({ length: 25 }, () => firing('task-a')),
      firing('task-b'),
      ...Array(24).fill(firing('task-a')),
    ];

    // Act
    await Promise.all([handler(snsEvent(messages)), handler(snsEvent(messages))]);

    // Assess
    const inputs = [...sfn.executions.values()].map((execution) => JSON.parse(execution.input));
    expect(inputs.map((input) => input.taskId).sort()).toEqual(['task-a', 'task-b']);
    expect(inputs[0]).toMatchObject({ count: 4, intervalSeconds: 120 });
  });
});
