import { ALERT_NAMES } from '../build-rules';
import { floors, type TaskModel } from './task-series';

/** The situations the alert rules must get right; each becomes one promtool test group. */

export type AlertName = (typeof ALERT_NAMES)[keyof typeof ALERT_NAMES];

export type Expectation =
  /** The alert is firing for the task at this minute. */
  | { readonly kind: 'firing'; readonly alert: AlertName; readonly taskId: string; readonly minute: number }
  /** The alert has not fired for the task (or any task) at any minute up to and including this one. */
  | { readonly kind: 'silent'; readonly alert?: AlertName; readonly taskId?: string; readonly untilMinute: number }
  /** The alert fires with exactly these annotations at this minute (one task, values chosen to round exactly). */
  | {
      readonly kind: 'annotations';
      readonly alert: AlertName;
      readonly taskId: string;
      readonly minute: number;
      readonly annotations: Readonly<Record<string, string>>;
    };

export interface Scenario {
  readonly name: string;
  readonly durationMinutes: number;
  readonly tasks: readonly TaskModel[];
  readonly expectations: readonly Expectation[];
}

export const SCENARIO_LABELS = { cluster: 'prod', service: 'web' } as const;

const { leakSuspected: LEAK, exhaustionPredicted: EXHAUSTION } = ALERT_NAMES;
const ONSET = 60;
const HOUR = 60;
const SIX_HOURS = 6 * HOUR;

/** Post-GC floor after a start: rising for 15 min while caches and code warm up, then flat. */
const warmup = (startMinute: number) => floors.ramp(40, 120, startMinute, startMinute + 15);

export function scenarios(): Scenario[] {
  return [
    {
      name: 'leak exhausting 1 GiB in ~10 h, next to a healthy task',
      durationMinutes: ONSET + 6 * HOUR + 45,
      tasks: [
        {
          taskId: 'leaky10h',
          startMinute: -120,
          floorMiB: floors.leak(100, ONSET, 1024, 10),
          containerLimitMiB: 2048,
        },
        { taskId: 'healthy', startMinute: -120, floorMiB: floors.flat(100), containerLimitMiB: 2048 },
      ],
      expectations: [
        { kind: 'silent', alert: LEAK, untilMinute: ONSET },
        { kind: 'firing', alert: LEAK, taskId: 'leaky10h', minute: ONSET + 30 },
        // Predicted time reaches 4 h six hours after onset: not before.
        { kind: 'silent', alert: EXHAUSTION, untilMinute: ONSET + 6 * HOUR },
        { kind: 'firing', alert: EXHAUSTION, taskId: 'leaky10h', minute: ONSET + 6 * HOUR + 40 },
        { kind: 'silent', taskId: 'healthy', untilMinute: ONSET + 6 * HOUR + 45 },
      ],
    },
    {
      name: 'leak exhausting 1 GiB in ~24 h',
      durationMinutes: ONSET + 20 * HOUR + 45,
      tasks: [{ taskId: 'leaky24h', startMinute: -120, floorMiB: floors.leak(100, ONSET, 1024, 24) }],
      expectations: [
        { kind: 'silent', alert: LEAK, untilMinute: ONSET },
        { kind: 'firing', alert: LEAK, taskId: 'leaky24h', minute: ONSET + 60 },
        { kind: 'silent', alert: EXHAUSTION, untilMinute: ONSET + 20 * HOUR },
        { kind: 'firing', alert: EXHAUSTION, taskId: 'leaky24h', minute: ONSET + 20 * HOUR + 40 },
      ],
    },
    {
      name: 'leak bounded by the container limit, far below the heap limit',
      durationMinutes: ONSET + 2 * HOUR + 15,
      tasks: [
        {
          taskId: 'containerbound',
          startMinute: -120,
          // 150 MiB/h: the container's headroom (1024 MiB - 100 MiB floor - 100 MiB other resident) lasts 5.5 h, the
          // 4 GiB heap 26 h; the true time left crosses 4 h 90 min after onset.
          floorMiB: floors.leak(100, ONSET, 100 + 150 * 26, 26),
          heapLimitMiB: 4096,
          containerLimitMiB: 1024,
        },
      ],
      expectations: [
        { kind: 'silent', alert: EXHAUSTION, untilMinute: ONSET + 85 },
        { kind: 'firing', alert: EXHAUSTION, taskId: 'containerbound', minute: ONSET + 2 * HOUR + 10 },
      ],
    },
    {
      name: 'GC sawtooth on a flat floor (major GC every 3, 12, 25 and 40 min)',
      durationMinutes: SIX_HOURS,
      tasks: [
        { taskId: 'sawtooth', startMinute: -120, floorMiB: floors.flat(150), sawtoothMiB: 60, jitterMiB: 1 },
        { taskId: 'rare-gc', startMinute: -120, floorMiB: floors.flat(150), gcPeriodMinutes: 12, sawtoothMiB: 80 },
        // Between two major GCs the old space rises for longer than the alert's `for`: a floor needs a major GC.
        { taskId: 'gc-25min', startMinute: -120, floorMiB: floors.flat(150), gcPeriodMinutes: 25, sawtoothMiB: 60 },
        { taskId: 'gc-40min', startMinute: -120, floorMiB: floors.flat(150), gcPeriodMinutes: 40, sawtoothMiB: 120 },
      ],
      expectations: [{ kind: 'silent', untilMinute: SIX_HOURS }],
    },
    {
      name: 'leak from the start of a task (warm-up, then the floor keeps rising)',
      durationMinutes: 2 * HOUR,
      tasks: [
        {
          taskId: 'leaky-from-start',
          startMinute: 0,
          floorMiB: (minute) => warmup(0)(minute) + floors.leak(0, 15, 924, 10)(minute),
        },
      ],
      expectations: [
        { kind: 'silent', alert: LEAK, untilMinute: 35 },
        { kind: 'firing', alert: LEAK, taskId: 'leaky-from-start', minute: 50 },
      ],
    },
    {
      name: 'noisy post-GC floor (sizes wobbling by up to 3 MiB)',
      durationMinutes: SIX_HOURS,
      tasks: [{ taskId: 'noisy', startMinute: -120, floorMiB: floors.flat(150), jitterMiB: 3 }],
      expectations: [{ kind: 'silent', untilMinute: SIX_HOURS }],
    },
    {
      name: 'warm-up after a task starts (floor rising for 15 min, then flat)',
      durationMinutes: SIX_HOURS,
      tasks: [{ taskId: 'warming', startMinute: 0, floorMiB: warmup(0) }],
      expectations: [{ kind: 'silent', untilMinute: SIX_HOURS }],
    },
    {
      name: 'traffic bursts (floor up for ~20 min, then back)',
      durationMinutes: SIX_HOURS,
      tasks: [
        {
          taskId: 'ramp-burst',
          startMinute: -120,
          floorMiB: floors.path([
            [120, 100],
            [140, 250],
            [145, 100],
          ]),
        },
        {
          taskId: 'step-burst',
          startMinute: -120,
          floorMiB: floors.path([
            [120, 100],
            [123, 220],
            [140, 220],
            [143, 100],
          ]),
        },
      ],
      expectations: [{ kind: 'silent', untilMinute: SIX_HOURS }],
    },
    {
      name: 'deploys replacing tasks (old task stops, new one warms up)',
      durationMinutes: SIX_HOURS,
      tasks: [
        { taskId: 'rev1', startMinute: -240, endMinute: 123, floorMiB: floors.flat(120) },
        { taskId: 'rev2', startMinute: 120, endMinute: 243, floorMiB: warmup(120) },
        { taskId: 'rev3', startMinute: 240, floorMiB: warmup(240) },
      ],
      expectations: [{ kind: 'silent', untilMinute: SIX_HOURS }],
    },
    annotationScenario(),
    annotationWithoutContainerLimitScenario(),
  ];
}

/**
 * A sawtooth-free leak of exactly 100 MiB/h, so the rendered annotations are predictable: at minute 125 the floor
 * (minimum over the last 5 min) is 804 MiB, 220 MiB below the 1 GiB heap limit (2.2 h) and, with 100 MiB of other
 * resident memory, 1144 MiB below the 2 GiB container limit (11.4 h).
 */
function annotationScenario(): Scenario {
  const taskId = 'annotated';
  const minute = 125;
  const prediction =
    'At this rate the floor reaches the V8 heap limit in 2.2 h and the container memory limit in 11.4 h.';
  const runbook = (meaning: string) => expectedRunbook(taskId, meaning);
  return {
    name: 'annotations of both alerts (exact rendering)',
    durationMinutes: minute,
    tasks: [
      {
        taskId,
        startMinute: -120,
        floorMiB: floors.leak(704, ONSET, 1024, 3.2),
        sawtoothMiB: 0,
        jitterMiB: 0,
        containerLimitMiB: 2048,
      },
    ],
    expectations: [
      {
        kind: 'annotations',
        alert: LEAK,
        taskId,
        minute,
        annotations: {
          summary: 'Heap leak suspected: the old-space floor of task annotated keeps rising',
          description:
            'The old-space floor (what stays after major garbage collections) of task annotated of service web in ' +
            `cluster prod has been rising for more than 20m, by 100.0 MiB/h. ${prediction}`,
          runbook: runbook(LEAK_MEANING),
        },
      },
      {
        kind: 'annotations',
        alert: EXHAUSTION,
        taskId,
        minute,
        annotations: {
          summary: 'Heap exhaustion predicted within 4h for task annotated',
          description:
            `The old-space floor of task annotated of service web in cluster prod grows by 100.0 MiB/h. ${prediction} ` +
            'When it gets there V8 aborts with "heap out of memory" or the container is OOM-killed.',
          runbook: runbook(
            'a leak will crash this task within 4h. Capture snapshots now, while there is headroom for one (a ' +
              'capture needs several times the heap in memory), then replace the task if it gets close.',
          ),
        },
      },
    ],
  };
}

function expectedRunbook(taskId: string, meaning: string): string {
  return [
    `What it means: ${meaning}`,
    'What to do: take a series of heap snapshots of this task (the collector starts one on its own when this ' +
      'alert reaches it through the SNS topic), or start one by hand:',
    `  heapwatch capture --cluster prod --service web --task ${taskId}`,
    '  (with the collector state machine in $HEAPWATCH_STATE_MACHINE_ARN or --state-machine <arn>)',
    'Where the result appears: the snapshots and the leak report are written to the snapshot bucket under ' +
      `prod/web/${taskId}/ (report: prod/web/${taskId}/report.html), and the report is announced on the heapwatch ` +
      'report SNS topic with the suspects that grow and who retains them.',
  ].join('\n');
}

const LEAK_MEANING =
  'the memory this task keeps after each major GC grows steadily, past warm-up, which a traffic burst or ' +
  'the GC sawtooth does not do. Something retains objects it never releases (a cache without bound, ' +
  'listeners, closures). Other tasks of the service are probably leaking the same way.';

/** The same leak on a task without a container memory limit: the description says so instead of a number. */
function annotationWithoutContainerLimitScenario(): Scenario {
  const taskId = 'unlimited';
  return {
    name: 'annotations when no container limit is reported',
    durationMinutes: 125,
    tasks: [{ taskId, startMinute: -120, floorMiB: floors.leak(704, ONSET, 1024, 3.2), sawtoothMiB: 0, jitterMiB: 0 }],
    expectations: [
      {
        kind: 'annotations',
        alert: LEAK,
        taskId,
        minute: 125,
        annotations: {
          summary: 'Heap leak suspected: the old-space floor of task unlimited keeps rising',
          description:
            'The old-space floor (what stays after major garbage collections) of task unlimited of service web in ' +
            'cluster prod has been rising for more than 20m, by 100.0 MiB/h. At this rate the floor reaches the V8 ' +
            'heap limit in 2.2 h and the container memory limit at an unknown time (no limit reported).',
          runbook: expectedRunbook(taskId, LEAK_MEANING),
        },
      },
    ],
  };
}
