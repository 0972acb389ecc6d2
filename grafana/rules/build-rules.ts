import { stringify } from 'yaml';
import {
  agentDownExpr,
  andOnTaskAndMemory,
  earliestTimeToLimitExpr,
  floorRisingExpr,
  formatNumber,
  recordedConcepts,
} from '../queries';
import {
  agentDownRunbook,
  byMemoryKind,
  exhaustionRunbook,
  FLOOR_PHRASE,
  GROWTH_MIB_PER_HOUR,
  leakRunbook,
  MEMORY,
  PREDICTION_PHRASE,
  TASK,
  TASK_PHRASE,
} from './annotations';
import { durationSeconds } from './durations';

/** Windows and thresholds of the heapwatch rules. The defaults are production values and produce the committed YAML. */
export interface RuleWindowOptions {
  /**
   * Range over which a floor's growth rate is fitted: four major-GC steps of the floor for the rarest GCs watched
   * (every 15 min), so the rate (and the predicted time to a limit) does not jump with each step.
   * @default '1h'
   */
  readonly growthWindow?: string;
  /**
   * How long a floor must keep rising before `HeapwatchLeakSuspected` fires. Longer than a traffic burst's rise or
   * a one-off cache fill plus the rise window that follows it; short enough to fire within 30 min of a leak's onset.
   * @default '23m'
   */
  readonly forDuration?: string;
  /**
   * How long the predicted time to a limit must stay within the horizon, while `HeapwatchLeakSuspected` fires for
   * the same floor, before `HeapwatchHeapExhaustionPredicted` fires (the prediction wobbles with each GC step).
   * @default '10m'
   */
  readonly exhaustionFor?: string;
  /**
   * Range in which major GCs are counted to know a task's GC period (floors change only at major GCs).
   * @default '30m'
   */
  readonly gcCountWindow?: string;
  /**
   * Ranges over which a floor must have risen to count as still rising, shortest first. A task uses the shortest
   * that spans 4/3 of its mean major-GC period; tasks with rarer GCs use the last.
   * @default ['4m', '9m', '20m']
   */
  readonly riseWindows?: readonly string[];
  /**
   * Tasks on the last rise window (major GCs rarer than every ~7 min) must also have been rising this long ago.
   * @default '17m'
   */
  readonly rareGcSustain?: string;
  /**
   * Task uptime during which the floor may rise without alerting (caches and code warm up after a start).
   * @default '20m'
   */
  readonly warmupDuration?: string;
  /**
   * Predicted time to a limit below which `HeapwatchHeapExhaustionPredicted` fires.
   * @default '4h'
   */
  readonly exhaustionHorizon?: string;
  /**
   * Floor growth below which no alert fires (noise of post-GC sizes, slow cache fills).
   * @default 8 MiB per hour
   */
  readonly minGrowthBytesPerHour?: number;
  /**
   * How long a running task's agent must fail every scrape before `HeapwatchAgentDown` fires. Longer than a heap
   * snapshot's frozen event loop (a few scrapes at most).
   * @default '5m'
   */
  readonly agentDownFor?: string;
  /**
   * Evaluation interval of the rule group.
   * @default '1m'
   */
  readonly evaluationInterval?: string;
}

export const PRODUCTION_RULE_WINDOWS: Required<RuleWindowOptions> = {
  growthWindow: '1h',
  forDuration: '23m',
  exhaustionFor: '10m',
  gcCountWindow: '30m',
  riseWindows: ['4m', '9m', '20m'],
  rareGcSustain: '17m',
  warmupDuration: '20m',
  exhaustionHorizon: '4h',
  minGrowthBytesPerHour: 8 * 1_048_576,
  agentDownFor: '5m',
  evaluationInterval: '1m',
};

/**
 * DRILL ONLY: windows shrunk from minutes to seconds so the local drill (1 s scrape and evaluation) sees recorded
 * series and an alert within a minute. Never deploy these: they alert on any warm-up or burst.
 */
export const DRILL_RULE_WINDOWS: Required<RuleWindowOptions> = {
  growthWindow: '60s',
  forDuration: '10s',
  exhaustionFor: '5s',
  // Under the drill's load the demo runs a major GC every few seconds to tens of seconds while its heap grows.
  gcCountWindow: '60s',
  riseWindows: ['20s', '60s'],
  rareGcSustain: '10s',
  warmupDuration: '5s',
  exhaustionHorizon: '4h',
  // Time runs ~60x faster here, and a healthy demo's floor grows ~0.7 GiB/h while it warms up under load; the
  // memoize leak grows it 4-50 GiB/h.
  minGrowthBytesPerHour: 3 * 1024 * 1_048_576,
  agentDownFor: '5s',
  evaluationInterval: '1s',
};

export interface RecordingRule {
  readonly record: string;
  readonly expr: string;
  readonly labels?: Readonly<Record<string, string>>;
}

export interface AlertingRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<'summary' | 'description' | 'runbook', string>>;
}

export interface RuleGroup {
  readonly name: string;
  readonly interval: string;
  readonly rules: readonly (RecordingRule | AlertingRule)[];
}

export const RULE_GROUP_NAME = 'heapwatch';
export const ALERT_NAMES = {
  leakSuspected: 'HeapwatchLeakSuspected',
  exhaustionPredicted: 'HeapwatchHeapExhaustionPredicted',
  agentDown: 'HeapwatchAgentDown',
} as const;

/** The heapwatch rule groups: recording rules for each concept, then the alerts built on them. */
export function buildRuleGroups(options: RuleWindowOptions = {}): RuleGroup[] {
  const windows = { ...PRODUCTION_RULE_WINDOWS, ...options };
  validate(windows);
  const minGrowthBytesPerSecond = windows.minGrowthBytesPerHour / 3600;
  const rising = floorRisingExpr({
    minGrowthBytesPerSecond,
    warmupSeconds: durationSeconds('warmupDuration', windows.warmupDuration),
  });
  const horizonSeconds = durationSeconds('exhaustionHorizon', windows.exhaustionHorizon);

  const leakSuspected: AlertingRule = {
    alert: ALERT_NAMES.leakSuspected,
    expr: rising,
    for: windows.forDuration,
    labels: { severity: 'warning' },
    annotations: {
      summary: byMemoryKind({
        heap: `Heap leak suspected: the JS heap floor of task ${TASK} keeps rising`,
        external: `Off-heap leak suspected: the external memory (Buffers, ArrayBuffers) of task ${TASK} keeps rising`,
        native: `Native memory leak suspected: task ${TASK} keeps more memory outside the JS heap and its Buffers`,
      }),
      description:
        `The ${FLOOR_PHRASE} (what stays after major garbage collections) of ${TASK_PHRASE} has been rising for ` +
        `more than ${windows.forDuration}, by ${GROWTH_MIB_PER_HOUR}. ${PREDICTION_PHRASE}`,
      runbook: leakRunbook(),
    },
  };

  const exhaustionPredicted: AlertingRule = {
    alert: ALERT_NAMES.exhaustionPredicted,
    // Only while the leak alert fires for the same floor: a burst or a cache fill rises fast enough to predict
    // exhaustion within the horizon, but never long enough to be a leak.
    expr: andOnTaskAndMemory(
      `${earliestTimeToLimitExpr()} < ${formatNumber(horizonSeconds)}`,
      `ALERTS{alertname="${ALERT_NAMES.leakSuspected}", alertstate="firing"}`,
    ),
    for: windows.exhaustionFor,
    labels: { severity: 'critical' },
    annotations: {
      summary: `Memory exhaustion predicted within ${windows.exhaustionHorizon} for task ${TASK} (${MEMORY})`,
      description:
        `The ${FLOOR_PHRASE} of ${TASK_PHRASE} grows by ${GROWTH_MIB_PER_HOUR}. ${PREDICTION_PHRASE} ` +
        'When it gets there V8 aborts with "heap out of memory" or the container is OOM-killed.',
      runbook: exhaustionRunbook(windows.exhaustionHorizon),
    },
  };

  const agentDown: AlertingRule = {
    alert: ALERT_NAMES.agentDown,
    expr: agentDownExpr(),
    for: windows.agentDownFor,
    labels: { severity: 'warning' },
    annotations: {
      summary: `heapwatch agent of task ${TASK} does not answer scrapes`,
      description:
        `The heapwatch agent of ${TASK_PHRASE} has failed every scrape for more than ${windows.agentDownFor}, ` +
        'while ECS still lists the task as running. Until it answers, no heap alert can fire for this task.',
      runbook: agentDownRunbook(),
    },
  };

  return [
    {
      name: RULE_GROUP_NAME,
      interval: windows.evaluationInterval,
      rules: [
        ...recordedConcepts({ ...windows, minGrowthBytesPerSecond }),
        leakSuspected,
        exhaustionPredicted,
        agentDown,
      ],
    },
  ];
}

/** The rules file as Prometheus (and Amazon Managed Service for Prometheus) read it. */
export function renderRulesYaml(groups: readonly RuleGroup[]): string {
  const header =
    '# Generated by `npx tsx grafana/generate.ts` from grafana/queries.ts and grafana/rules/build-rules.ts.\n' +
    '# Do not edit: change the source and regenerate (a test fails when this file drifts).\n';
  return header + stringify({ groups }, { lineWidth: 0 });
}

function validate(windows: Required<RuleWindowOptions>): void {
  for (const name of [
    'growthWindow',
    'forDuration',
    'exhaustionFor',
    'gcCountWindow',
    'rareGcSustain',
    'warmupDuration',
    'agentDownFor',
    'evaluationInterval',
  ] as const) {
    durationSeconds(name, windows[name]);
  }
  if (windows.riseWindows.length === 0) {
    throw new Error("riseWindows must list at least one Prometheus duration such as '4m'; received [].");
  }
  const riseSeconds = windows.riseWindows.map((window) => durationSeconds('riseWindows', window));
  if (riseSeconds.some((seconds, index) => index > 0 && seconds <= riseSeconds[index - 1])) {
    throw new Error(`riseWindows must be ordered shortest first; received [${windows.riseWindows.join(', ')}].`);
  }
  if (!(windows.minGrowthBytesPerHour > 0)) {
    throw new Error(
      `minGrowthBytesPerHour must be a positive number of bytes; received ${windows.minGrowthBytesPerHour}.`,
    );
  }
}
