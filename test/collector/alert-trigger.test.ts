import { triggerSeriesFromNotification } from '../../collector/alert-trigger';
import { startSeriesOnce } from '../../collector/start-series';
import { simulateStepFunctions } from '../support/simulated-step-functions';

const STATE_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:heapwatch-series';
const TASK = '0123456789abcdef0123456789abcdef';

function notification(alerts: { alertname: string; status: string; task_id?: string; memory?: string }[]): string {
  return JSON.stringify({
    receiver: 'heapwatch',
    status: 'firing',
    alerts: alerts.map(({ alertname, status, task_id, memory }) => ({
      status,
      labels: {
        alertname,
        cluster: 'prod',
        service: 'web',
        ...(task_id ? { task_id } : {}),
        ...(memory ? { memory } : {}),
        severity: 'warning',
      },
      annotations: { summary: 'old space grows' },
      startsAt: '2026-11-27T01:00:00Z',
    })),
  });
}

describe('triggerSeriesFromNotification', () => {
  test('50 notifications for one task, arriving at once, start exactly one series', async () => {
    // Prepare
    const sfn = simulateStepFunctions(STATE_MACHINE);
    const message = notification([
      { alertname: 'HeapwatchLeakSuspected', status: 'firing', task_id: TASK, memory: 'external' },
    ]);
    const now = () => new Date('2026-11-27T01:20:00Z');

    // Act
    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        triggerSeriesFromNotification(message, { sfn: sfn.client, stateMachineArn: STATE_MACHINE, now }),
      ),
    );

    // Assess
    expect([...sfn.executions.values()]).toHaveLength(1);
    const [execution] = sfn.executions.values();
    expect(execution.status).toBe('RUNNING');
    expect(JSON.parse(execution.input)).toMatchObject({
      cluster: 'prod',
      service: 'web',
      taskId: TASK,
      count: 3,
      intervalSeconds: 300,
      reason: 'alert HeapwatchLeakSuspected (memory=external)',
    });
    expect(results.every(({ outcomes }) => outcomes.length === 1)).toBe(true);
  });

  test('a repeat after the series finished starts nothing in the same window, and a new series in the next', async () => {
    // Prepare
    const sfn = simulateStepFunctions(STATE_MACHINE);
    const message = notification([{ alertname: 'HeapwatchHeapExhaustionPredicted', status: 'firing', task_id: TASK }]);
    const at = (iso: string) => ({ sfn: sfn.client, stateMachineArn: STATE_MACHINE, now: () => new Date(iso) });
    await triggerSeriesFromNotification(message, at('2026-11-27T01:05:00Z'));
    for (const execution of sfn.executions.values()) execution.status = 'SUCCEEDED';

    // Act
    const sameWindow = await triggerSeriesFromNotification(message, at('2026-11-27T01:55:00Z'));
    const nextWindow = await triggerSeriesFromNotification(message, at('2026-11-27T02:05:00Z'));

    // Assess
    expect(sameWindow.outcomes[0].result).toMatchObject({ started: false, why: expect.stringMatching(/already ran/) });
    expect(nextWindow.outcomes[0].result).toMatchObject({ started: true, name: `hw-${TASK}-20261127T0200` });
    expect(sfn.executions.size).toBe(2);
  });

  test('ignores resolved notifications, other alerts, native-memory leaks and alerts without a task label', async () => {
    // Prepare
    const sfn = simulateStepFunctions(STATE_MACHINE);
    const message = notification([
      { alertname: 'HeapwatchLeakSuspected', status: 'resolved', task_id: TASK },
      { alertname: 'HighLatency', status: 'firing', task_id: TASK },
      { alertname: 'HeapwatchAgentDown', status: 'firing', task_id: TASK },
      { alertname: 'HeapwatchLeakSuspected', status: 'firing', task_id: TASK, memory: 'native' },
      { alertname: 'HeapwatchLeakSuspected', status: 'firing' },
    ]);

    // Act
    const { outcomes, ignored } = await triggerSeriesFromNotification(message, {
      sfn: sfn.client,
      stateMachineArn: STATE_MACHINE,
    });

    // Assess
    expect(outcomes).toEqual([]);
    expect(ignored).toEqual([
      'HeapwatchLeakSuspected: resolved, not firing',
      'HighLatency: not a snapshot alert',
      'HeapwatchAgentDown: not a snapshot alert',
      expect.stringMatching(/^HeapwatchLeakSuspected: memory=native, which heap snapshots and profiles do not show/),
      expect.stringMatching(/HeapwatchLeakSuspected: needs the labels cluster, service and task_id/),
    ]);
    expect(sfn.executions.size).toBe(0);
  });

  test('reads Alertmanager’s default text message too (AMP without a JSON template)', async () => {
    // Prepare: the default sns.default.message of a group with one firing and one resolved alert
    const sfn = simulateStepFunctions(STATE_MACHINE);
    const message = [
      'Old space keeps growing after GC',
      'Alerts Firing:',
      'Labels:',
      ' - alertname = HeapwatchLeakSuspected',
      ' - cluster = arn:aws:ecs:us-east-1:123456789012:cluster/prod',
      ' - service = web',
      ` - task_id = arn:aws:ecs:us-east-1:123456789012:task/prod/${TASK}`,
      'Annotations:',
      ' - summary = old space floor grows 12 MiB/h',
      'Source: https://example.invalid/graph',
      '',
      '  Alerts Resolved:',
      '    Labels:',
      ' - alertname = HeapwatchLeakSuspected',
      ' - cluster = prod',
      ' - service = web',
      ' - task_id = other-task',
      'Annotations:',
      'Source: https://example.invalid/graph',
    ].join('\n');

    // Act
    const { outcomes, ignored } = await triggerSeriesFromNotification(message, {
      sfn: sfn.client,
      stateMachineArn: STATE_MACHINE,
    });

    // Assess
    expect(outcomes.map((outcome) => outcome.task)).toEqual([`prod/web/${TASK}`]);
    expect(ignored).toEqual(['HeapwatchLeakSuspected: resolved, not firing']);
  });

  test('skips an alert whose labels cannot name a task, and still starts the others', async () => {
    // Prepare
    const sfn = simulateStepFunctions(STATE_MACHINE);
    const message = notification([
      { alertname: 'HeapwatchLeakSuspected', status: 'firing', task_id: 'bad/task' },
      { alertname: 'HeapwatchLeakSuspected', status: 'firing', task_id: TASK },
    ]);

    // Act
    const { outcomes, ignored } = await triggerSeriesFromNotification(message, {
      sfn: sfn.client,
      stateMachineArn: STATE_MACHINE,
    });

    // Assess
    expect(outcomes.map((outcome) => outcome.task)).toEqual([`prod/web/${TASK}`]);
    expect(ignored).toEqual([expect.stringMatching(/^prod\/web\/bad\/task: task id "bad\/task" is invalid/)]);
  });

  test('explains a message it cannot read', async () => {
    const sfn = simulateStepFunctions(STATE_MACHINE);
    const { ignored } = await triggerSeriesFromNotification('Alert: HeapwatchLeakSuspected - firing', {
      sfn: sfn.client,
      stateMachineArn: STATE_MACHINE,
    });
    expect(ignored[0]).toMatch(/neither Alertmanager JSON nor its default text .*JSON "sns.default.message" template/);
  });
});

describe('startSeriesOnce', () => {
  test('two starts straddling a window boundary leave one running series', async () => {
    // Prepare
    const sfn = simulateStepFunctions(STATE_MACHINE);
    const start = (iso: string) =>
      startSeriesOnce({
        sfn: sfn.client,
        stateMachineArn: STATE_MACHINE,
        request: { cluster: 'prod', service: 'web', taskId: TASK },
        now: () => new Date(iso),
      });

    // Act
    const results = await Promise.all([start('2026-11-27T01:59:59.999Z'), start('2026-11-27T02:00:00.000Z')]);

    // Assess
    const running = [...sfn.executions.values()].filter((execution) => execution.status === 'RUNNING');
    expect(running.map((execution) => execution.name)).toEqual([`hw-${TASK}-20261127T0100`]);
    expect(results.filter((result) => result.started)).toHaveLength(1);
  });

  test('rejects a bad count before touching Step Functions', async () => {
    const sfn = simulateStepFunctions(STATE_MACHINE);
    await expect(
      startSeriesOnce({
        sfn: sfn.client,
        stateMachineArn: STATE_MACHINE,
        request: { cluster: 'prod', service: 'web', taskId: TASK, count: 1 },
      }),
    ).rejects.toThrow(/count 1 is invalid: a diff needs 2 to 10 snapshots/);
  });
});
