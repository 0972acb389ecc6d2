import { stringify } from 'yaml';
import { andOnTask, earliestTimeToLimitExpr, floorRisingExpr, formatNumber, recordedConcepts } from '../queries';
import { GROWTH_MIB_PER_HOUR, PREDICTION_PHRASE, runbook, TASK_PHRASE } from './annotations';
import { durationSeconds } from './durations';

/** Windows and thresholds of the heapwatch rules. The defaults are production values and produce the committed YAML. */
export interface RuleWindowOptions {
  /**
   * Range whose minimum of old-space used is the post-GC floor; must span a few major GCs.
   * @default '5m'
   */
  readonly floorWindow?: string;
  /**
   * Range over which the floor's growth rate is fitted: a few major-GC steps of the floor, so the rate (and the
   * predicted time to a limit) does not jump with each step.
   * @default '15m'
   */
  readonly growthWindow?: string;
  /**
   * How long the floor must keep rising before `HeapwatchLeakSuspected` fires (and the prediction must stay within
   * the horizon before `HeapwatchHeapExhaustionPredicted` fires). Longer than a traffic burst's rise (~20 min minus
   * the floor window), short enough to fire within 30 min of a fast leak's onset.
   * @default '20m'
   */
  readonly forDuration?: string;
  /**
   * The floor counts as rising only if a major GC happened within this window: without one the old space's minimum
   * is the rising edge of a slow sawtooth. Not longer than `forDuration`, so no sawtooth, however slow, holds the
   * condition for the whole `for` (each major GC drops the floor below its recent peak).
   * @default '20m'
   */
  readonly majorGcWindow?: string;
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
   * Fraction of its peak over the growth window the floor may dip below and still count as rising (post-GC sizes
   * wobble a little; a receding burst drops far more).
   * @default 0.05
   */
  readonly floorDipTolerance?: number;
  /**
   * Evaluation interval of the rule group.
   * @default '1m'
   */
  readonly evaluationInterval?: string;
}

export const PRODUCTION_RULE_WINDOWS: Required<RuleWindowOptions> = {
  floorWindow: '5m',
  growthWindow: '15m',
  forDuration: '20m',
  majorGcWindow: '20m',
  warmupDuration: '20m',
  exhaustionHorizon: '4h',
  minGrowthBytesPerHour: 8 * 1_048_576,
  floorDipTolerance: 0.05,
  evaluationInterval: '1m',
};

/**
 * DRILL ONLY: windows shrunk from minutes to seconds so the local drill (1 s scrape and evaluation) sees recorded
 * series and an alert within a minute. Never deploy these: they alert on any warm-up or burst.
 */
export const DRILL_RULE_WINDOWS: Required<RuleWindowOptions> = {
  floorWindow: '10s',
  growthWindow: '20s',
  forDuration: '15s',
  // Under the drill's load the demo runs a major GC only every few tens of seconds while its heap grows.
  majorGcWindow: '5m',
  warmupDuration: '5s',
  exhaustionHorizon: '4h',
  // Time runs ~60x faster here, and a healthy demo's floor grows ~0.7 GiB/h while it warms up under load; the
  // memoize leak grows it 4-50 GiB/h.
  minGrowthBytesPerHour: 3 * 1024 * 1_048_576,
  floorDipTolerance: 0.05,
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
} as const;

/** The heapwatch rule groups: recording rules for each concept, then the two alerts built on them. */
export function buildRuleGroups(options: RuleWindowOptions = {}): RuleGroup[] {
  const windows = { ...PRODUCTION_RULE_WINDOWS, ...options };
  validate(windows);
  const rising = floorRisingExpr({
    minGrowthBytesPerSecond: windows.minGrowthBytesPerHour / 3600,
    floorDipTolerance: windows.floorDipTolerance,
    growthWindow: windows.growthWindow,
    warmupSeconds: durationSeconds('warmupDuration', windows.warmupDuration),
  });
  const horizonSeconds = durationSeconds('exhaustionHorizon', windows.exhaustionHorizon);

  const leakSuspected: AlertingRule = {
    alert: ALERT_NAMES.leakSuspected,
    expr: rising,
    for: windows.forDuration,
    labels: { severity: 'warning' },
    annotations: {
      summary: `Heap leak suspected: the old-space floor of task {{ $labels.task_id }} keeps rising`,
      description:
        `The old-space floor (what stays after major garbage collections) of ${TASK_PHRASE} has been rising for ` +
        `more than ${windows.forDuration}, by ${GROWTH_MIB_PER_HOUR}. ${PREDICTION_PHRASE}`,
      runbook: runbook(
        `the memory this task keeps after each major GC grows steadily, past warm-up, which a traffic burst or the ` +
          `GC sawtooth does not do. Something retains objects it never releases (a cache without bound, listeners, ` +
          `closures). Other tasks of the service are probably leaking the same way.`,
      ),
    },
  };

  const exhaustionPredicted: AlertingRule = {
    alert: ALERT_NAMES.exhaustionPredicted,
    expr: andOnTask(`${earliestTimeToLimitExpr()} < ${formatNumber(horizonSeconds)}`, rising),
    for: windows.forDuration,
    labels: { severity: 'critical' },
    annotations: {
      summary: `Heap exhaustion predicted within ${windows.exhaustionHorizon} for task {{ $labels.task_id }}`,
      description:
        `The old-space floor of ${TASK_PHRASE} grows by ${GROWTH_MIB_PER_HOUR}. ${PREDICTION_PHRASE} ` +
        `When it gets there V8 aborts with "heap out of memory" or the container is OOM-killed.`,
      runbook: runbook(
        `a leak will crash this task within ${windows.exhaustionHorizon}. Capture snapshots now, while there is ` +
          `headroom for one (a capture needs several times the heap in memory), then replace the task if it gets close.`,
      ),
    },
  };

  return [
    {
      name: RULE_GROUP_NAME,
      interval: windows.evaluationInterval,
      rules: [...recordedConcepts(windows), leakSuspected, exhaustionPredicted],
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
    'floorWindow',
    'growthWindow',
    'forDuration',
    'majorGcWindow',
    'warmupDuration',
    'evaluationInterval',
  ] as const) {
    durationSeconds(name, windows[name]);
  }
  if (!(windows.minGrowthBytesPerHour > 0)) {
    throw new Error(
      `minGrowthBytesPerHour must be a positive number of bytes; received ${windows.minGrowthBytesPerHour}.`,
    );
  }
  if (!(windows.floorDipTolerance >= 0 && windows.floorDipTolerance < 1)) {
    throw new Error(
      `floorDipTolerance must be a fraction in [0, 1) such as 0.05; received ${windows.floorDipTolerance}.`,
    );
  }
}
