/**
 * The PromQL of every heapwatch concept, written once. The rules generator records these expressions and the
 * dashboards query the recorded names, so an alert and the panel that explains it can never disagree.
 */

/** Labels the scraper puts on every target; every recorded series and alert is per task on exactly these. */
export const TASK_LABELS = ['cluster', 'service', 'task_id'] as const;
export type TaskLabel = (typeof TASK_LABELS)[number];

/** `by (cluster, service, task_id[, extra...])` */
function byTask(...extra: readonly string[]): string {
  return `by (${[...TASK_LABELS, ...extra].join(', ')})`;
}
const BY_TASK = byTask();
const ON_TASK = `on (${TASK_LABELS.join(', ')})`;

/** Windows the recording rules and alerts depend on; Prometheus durations such as `5m`. */
export interface ConceptWindows {
  /** Range whose minimum is the post-GC floor: longer than the time between major GCs. */
  readonly floorWindow: string;
  /** Range over which the floor's growth rate is fitted (least squares, `deriv`). */
  readonly growthWindow: string;
  /** Range in which a major GC must have happened for the floor to be a post-GC floor at all. */
  readonly majorGcWindow: string;
}

/** Names of the recorded series (Prometheus `level:metric:operation` convention). */
export const RECORDED = {
  oldSpaceFloor: 'heapwatch:old_space_floor_bytes',
  oldSpaceFloorGrowth: 'heapwatch:old_space_floor_growth_bytes_per_second',
  residentMemoryFloor: 'heapwatch:process_resident_memory_floor_bytes',
  taskUptime: 'heapwatch:task_uptime_seconds',
  recentMajorGcs: 'heapwatch:major_gcs_recent',
  timeToLimit: 'heapwatch:old_space_floor_time_to_limit_seconds',
} as const;

/** Values of the `limit` label on `heapwatch:old_space_floor_time_to_limit_seconds`. */
export type MemoryLimitKind = 'heap' | 'container';

export interface RecordedConcept {
  readonly record: string;
  readonly expr: string;
  readonly labels?: Readonly<Record<string, string>>;
}

/** Recording rules, in evaluation order (later ones read earlier ones within the same evaluation). */
export function recordedConcepts(windows: ConceptWindows): readonly RecordedConcept[] {
  const { floorWindow, growthWindow, majorGcWindow } = windows;
  const growth = RECORDED.oldSpaceFloorGrowth;
  return [
    {
      // What stays after major GCs: the minimum of the sawtooth over a window spanning several GC cycles.
      record: RECORDED.oldSpaceFloor,
      expr: `min ${BY_TASK} (min_over_time(nodejs_heap_space_size_used_bytes{space="old"}[${floorWindow}]))`,
    },
    { record: growth, expr: `deriv(${RECORDED.oldSpaceFloor}[${growthWindow}])` },
    {
      record: RECORDED.residentMemoryFloor,
      expr: `min ${BY_TASK} (min_over_time(process_resident_memory_bytes[${floorWindow}]))`,
    },
    { record: RECORDED.taskUptime, expr: `time() - max ${BY_TASK} (process_start_time_seconds)` },
    {
      // Mark-sweep-compact collections (prom-client's kind="major") in the window; without one, the minimum of the
      // old space is only the rising edge of a slow sawtooth, not a floor.
      record: RECORDED.recentMajorGcs,
      expr: `sum ${BY_TASK} (increase(nodejs_gc_duration_seconds_count{kind="major"}[${majorGcWindow}]))`,
    },
    {
      // +Inf while the floor is flat or shrinking, so the series always exists and only real growth predicts a time.
      record: RECORDED.timeToLimit,
      labels: { limit: 'heap' satisfies MemoryLimitKind },
      expr: `(max ${BY_TASK} (heapwatch_heap_size_limit_bytes) - ${RECORDED.oldSpaceFloor}) / clamp_min(${growth}, 0)`,
    },
    {
      // The rest of the process (code, buffers, native memory) is assumed constant: the container fills up when the
      // floor has grown by the headroom between the resident-memory floor and the container limit.
      record: RECORDED.timeToLimit,
      labels: { limit: 'container' satisfies MemoryLimitKind },
      expr: `(max ${BY_TASK} (heapwatch_container_memory_limit_bytes) - ${RECORDED.residentMemoryFloor}) / clamp_min(${growth}, 0)`,
    },
  ];
}

export interface FloorRisingOptions {
  readonly minGrowthBytesPerSecond: number;
  /** Fraction of its recent peak the floor may dip below and still count as rising. */
  readonly floorDipTolerance: number;
  readonly growthWindow: string;
  readonly warmupSeconds: number;
}

/**
 * Per task (value: growth, bytes/s): the floor grows faster than the minimum, is still near its peak of the growth
 * window (a burst that recedes stops counting at once, instead of when the fitted slope catches up), major GCs keep
 * happening (so the floor is one), and the task is past its warm-up.
 */
export function floorRisingExpr(options: FloorRisingOptions): string {
  const floor = RECORDED.oldSpaceFloor;
  const nearPeak = `${floor} >= ${formatNumber(1 - options.floorDipTolerance)} * max_over_time(${floor}[${options.growthWindow}])`;
  return (
    `(${RECORDED.oldSpaceFloorGrowth} > ${formatNumber(options.minGrowthBytesPerSecond)}` +
    ` and ${ON_TASK} (${nearPeak})` +
    ` and ${ON_TASK} (${RECORDED.recentMajorGcs} > 0))` +
    ` unless ${ON_TASK} ${RECORDED.taskUptime} < ${formatNumber(options.warmupSeconds)}`
  );
}

/** Per task: the earliest predicted time (seconds) until the floor reaches the heap or container limit. */
export function earliestTimeToLimitExpr(selector = ''): string {
  return `min ${BY_TASK} (${RECORDED.timeToLimit}${selector ? `{${selector}}` : ''})`;
}

/** `expr and on (task labels) other`: keeps `expr`'s value where the task also satisfies `other`. */
export function andOnTask(expr: string, other: string): string {
  return `${expr} and ${ON_TASK} (${other})`;
}

/** Label matchers for one task, as a Go-template string for alert annotations (`$labels` of the alert). */
export const TASK_SELECTOR_TEMPLATE = `{${TASK_LABELS.map((label) => `${label}="%s"`).join(',')}}`;
export const TASK_SELECTOR_TEMPLATE_ARGS = TASK_LABELS.map((label) => `$labels.${label}`).join(' ');

/** Queries of raw agent metrics shown on dashboards; `selector` is a label-matcher body such as `cluster=~"$cluster"`. */
export const panelQueries = {
  heapSpaceUsed: (selector: string) => `sum ${byTask('space')} (nodejs_heap_space_size_used_bytes{${selector}})`,
  oldSpaceUsed: (selector: string) => `sum ${BY_TASK} (nodejs_heap_space_size_used_bytes{space="old", ${selector}})`,
  heapUsed: (selector: string) => `sum ${BY_TASK} (nodejs_heap_size_used_bytes{${selector}})`,
  heapLimit: (selector: string) => `max ${BY_TASK} (heapwatch_heap_size_limit_bytes{${selector}})`,
  containerLimit: (selector: string) => `max ${BY_TASK} (heapwatch_container_memory_limit_bytes{${selector}})`,
  containerUsage: (selector: string) => `max ${BY_TASK} (heapwatch_container_memory_usage_bytes{${selector}})`,
  residentMemory: (selector: string) => `max ${BY_TASK} (process_resident_memory_bytes{${selector}})`,
  externalMemory: (selector: string) => `max ${BY_TASK} (nodejs_external_memory_bytes{${selector}})`,
  gcPauseRate: (selector: string, rangeInterval: string) =>
    `sum ${byTask('kind')} (rate(nodejs_gc_duration_seconds_sum{${selector}}[${rangeInterval}]))`,
  eventLoopLag: (selector: string) => `max ${BY_TASK} (nodejs_eventloop_lag_seconds{${selector}})`,
  eventLoopLagP99: (selector: string) => `max ${BY_TASK} (nodejs_eventloop_lag_p99_seconds{${selector}})`,
  /** Milliseconds since the epoch at which each task's process started (an annotation's time). */
  taskStartMillis: (selector: string) => `max ${BY_TASK} (process_start_time_seconds{${selector}}) * 1000`,
  heapwatchAlerts: (selector: string) => `ALERTS{alertname=~"Heapwatch.*", ${selector}}`,
  /** A recorded concept for the selected tasks. */
  recorded: (record: string, selector: string) => `${record}{${selector}}`,
} as const;

/** Plain decimal (no exponent) so the YAML stays readable and diff-friendly. */
export function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(3).replace(/0+$/, '');
}
