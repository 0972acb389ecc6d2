import {
  type MemoryLimitKind,
  RECORDED,
  TASK_LABELS,
  TASK_SELECTOR_TEMPLATE,
  TASK_SELECTOR_TEMPLATE_ARGS,
} from '../queries';

/** Go-template snippets for alert annotations; they read the recorded concepts of the alert's own task. */

function taskValueTemplate(recordedSelector: string, scale: string, format: string, fallback: string): string {
  const query = `${recordedSelector} ${scale}`;
  return (
    `{{ with printf \`${query}\` ${TASK_SELECTOR_TEMPLATE_ARGS} | query }}` +
    `{{ . | first | value | printf "${format}" }}{{ else }}${fallback}{{ end }}`
  );
}

const MIB = 1_048_576;

/** The floor's growth rate of the alert's task, in MiB per hour with one decimal. */
export const GROWTH_MIB_PER_HOUR = taskValueTemplate(
  `${RECORDED.oldSpaceFloorGrowth}${TASK_SELECTOR_TEMPLATE}`,
  `* 3600 / ${MIB}`,
  '%.1f MiB/h',
  'unknown',
);

/** Predicted hours until the floor reaches the given limit (`+Inf` when not growing). */
export function hoursToLimit(limit: MemoryLimitKind): string {
  const selector = TASK_SELECTOR_TEMPLATE.replace('{', `{limit="${limit}",`);
  return taskValueTemplate(
    `${RECORDED.timeToLimit}${selector}`,
    '/ 3600',
    'in %.1f h',
    'at an unknown time (no limit reported)',
  );
}

const TASK = '{{ $labels.task_id }}';
const SERVICE = '{{ $labels.service }}';
const CLUSTER = '{{ $labels.cluster }}';

export const TASK_PHRASE = `task ${TASK} of service ${SERVICE} in cluster ${CLUSTER}`;

export const PREDICTION_PHRASE =
  `At this rate the floor reaches the V8 heap limit ${hoursToLimit('heap')} ` +
  `and the container memory limit ${hoursToLimit('container')}.`;

/** What the alert means, how to start a snapshot series of this one task, and where its report appears. */
export function runbook(meaning: string): string {
  const captureFlags = TASK_LABELS.map((label) => `--${label === 'task_id' ? 'task' : label} {{ $labels.${label} }}`);
  return [
    `What it means: ${meaning}`,
    'What to do: take a series of heap snapshots of this task (the collector starts one on its own when this alert ' +
      'reaches it through the SNS topic), or start one by hand:',
    `  heapwatch capture ${captureFlags.join(' ')}`,
    '  (with the collector state machine in $HEAPWATCH_STATE_MACHINE_ARN or --state-machine <arn>)',
    `Where the result appears: the snapshots and the leak report are written to the snapshot bucket under ` +
      `${CLUSTER}/${SERVICE}/${TASK}/ (report: ${CLUSTER}/${SERVICE}/${TASK}/report.html), and the report ` +
      'is announced on the heapwatch report SNS topic with the suspects that grow and who retains them.',
  ].join('\n');
}
