import { stringify } from 'yaml';
import { RULE_GROUP_NAME } from '../build-rules';
import { type Expectation, SCENARIO_LABELS, type Scenario } from './scenarios';
import { taskSeries } from './task-series';

const SEVERITY: Readonly<Record<string, string>> = {
  HeapwatchLeakSuspected: 'warning',
  HeapwatchHeapExhaustionPredicted: 'critical',
  HeapwatchAgentDown: 'warning',
};

/** A promtool `test rules` file (promtool 2.42 syntax: `alert_rule_test`) for the given scenarios. */
export function renderPromtoolTests(rulesFile: string, scenarioList: readonly Scenario[]): string {
  const tests = scenarioList.map((scenario) => ({
    name: scenario.name,
    interval: '1m',
    input_series: scenario.tasks.flatMap((task) => taskSeries(task, SCENARIO_LABELS, scenario.durationMinutes)),
    promql_expr_test: scenario.expectations.flatMap(promqlCheck),
    alert_rule_test: scenario.expectations.flatMap(annotationCheck),
  }));
  return stringify(
    { rule_files: [rulesFile], evaluation_interval: '1m', group_eval_order: [RULE_GROUP_NAME], tests },
    { lineWidth: 0 },
  );
}

function alertsSelector(matchers: Readonly<Record<string, string | undefined>>): string {
  const parts = Object.entries(matchers)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) =>
      name === 'alertname' && value.endsWith('.*') ? `${name}=~"${value}"` : `${name}="${value}"`,
    );
  return `ALERTS{${parts.join(',')}}`;
}

function promqlCheck(expectation: Expectation) {
  if (expectation.kind === 'silent') {
    const selector = alertsSelector({
      alertname: expectation.alert ?? 'Heapwatch.*',
      alertstate: 'firing',
      task_id: expectation.taskId,
    });
    return [
      {
        expr: `count_over_time(${selector}[${expectation.untilMinute}m])`,
        eval_time: `${expectation.untilMinute}m`,
        exp_samples: [],
      },
    ];
  }
  if (expectation.kind === 'firing') {
    const labels = {
      alertname: expectation.alert,
      alertstate: 'firing',
      ...SCENARIO_LABELS,
      memory: expectation.memory,
      severity: SEVERITY[expectation.alert],
      task_id: expectation.taskId,
    };
    return [
      {
        expr: alertsSelector({
          alertname: expectation.alert,
          alertstate: 'firing',
          task_id: expectation.taskId,
          memory: expectation.memory,
        }),
        eval_time: `${expectation.minute}m`,
        exp_samples: [{ labels: alertsSelector(labels), value: 1 }],
      },
    ];
  }
  return [];
}

function annotationCheck(expectation: Expectation) {
  if (expectation.kind !== 'annotations') return [];
  return [
    {
      alertname: expectation.alert,
      eval_time: `${expectation.minute}m`,
      exp_alerts: [
        {
          exp_labels: {
            ...SCENARIO_LABELS,
            memory: expectation.memory,
            severity: SEVERITY[expectation.alert],
            task_id: expectation.taskId,
          },
          exp_annotations: expectation.annotations,
        },
      ],
    },
  ];
}
