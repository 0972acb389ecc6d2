import { durationSeconds } from './rules/durations';
import { SCRAPE_JOB_NAME } from './scrape-labels';

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
const ON_TASK_AND_MEMORY = `on (${[...TASK_LABELS, 'memory'].join(', ')})`;

/** Windows the recording rules and alerts depend on; Prometheus durations such as `5m`. */
export interface ConceptWindows {
  /** Range over which the floor's growth rate is fitted (least squares, `deriv`): a few major-GC steps. */
  readonly growthWindow: string;
  /** Range in which major GCs are counted to know how often a task's floors are refreshed. */
  readonly gcCountWindow: string;
  /**
   * Ranges over which a floor must have risen to count as still rising, shortest first. A task uses the shortest
   * that spans 4/3 of its mean major-GC period (over `gcCountWindow`); tasks with rarer GCs use the last one.
   */
  readonly riseWindows: readonly string[];
  /**
   * For tasks on the last rise window (rare major GCs): how long before now the floor must also have been rising.
   * Two far-apart GC steps of a one-off fill look like a leak for longer than one window; a leak keeps rising.
   */
  readonly rareGcSustain: string;
  /** Growth below which a floor does not count as rising: over a rise window it must gain at least this rate's worth. */
  readonly minGrowthBytesPerSecond: number;
}

/** Names of the recorded series (Prometheus `level:metric:operation` convention). */
export const RECORDED = {
  memoryFloor: 'heapwatch:memory_floor_bytes',
  memoryFloorGrowth: 'heapwatch:memory_floor_growth_bytes_per_second',
  memoryFloorRecentRise: 'heapwatch:memory_floor_recent_rise_bytes',
  residentMemoryFloor: 'heapwatch:resident_memory_floor_bytes',
  taskUptime: 'heapwatch:task_uptime_seconds',
  recentMajorGcs: 'heapwatch:major_gcs_recent',
  timeToLimit: 'heapwatch:memory_floor_time_to_limit_seconds',
} as const;

/**
 * Values of the `memory` label of the floors and the alerts: the JS heap (all spaces), V8-external memory (Buffers,
 * ArrayBuffers, other memory V8 is told about), and native memory (the rest of the resident set: the runtime, native
 * addons, the allocator).
 */
export const MEMORY_KINDS = ['heap', 'external', 'native'] as const;
export type MemoryKind = (typeof MEMORY_KINDS)[number];

/** Values of the `limit` label on `heapwatch:memory_floor_time_to_limit_seconds`. */
export type MemoryLimitKind = 'heap' | 'container';

export interface RecordedConcept {
  readonly record: string;
  readonly expr: string;
  readonly labels?: Readonly<Record<string, string>>;
}

const HEAP_AFTER_GC = `sum ${BY_TASK} (heapwatch_heap_space_after_gc_bytes)`;
const EXTERNAL_AFTER_GC = `max ${BY_TASK} (heapwatch_memory_after_gc_bytes{type="external"})`;
const RSS_AFTER_GC = `max ${BY_TASK} (heapwatch_memory_after_gc_bytes{type="rss"})`;

/** Recording rules, in evaluation order (later ones read earlier ones within the same evaluation). */
export function recordedConcepts(windows: ConceptWindows): readonly RecordedConcept[] {
  const { growthWindow, gcCountWindow } = windows;
  const floor = RECORDED.memoryFloor;
  const growth = RECORDED.memoryFloorGrowth;
  return [
    // The floors are the agent's gauges, read right after each major GC and held until the next: measured, not
    // guessed from the minimum of a sawtooth.
    { record: floor, labels: { memory: 'heap' satisfies MemoryKind }, expr: HEAP_AFTER_GC },
    { record: floor, labels: { memory: 'external' satisfies MemoryKind }, expr: EXTERNAL_AFTER_GC },
    {
      // What the resident set holds beyond the heap's used bytes and external memory: the runtime, native addons,
      // allocator caches. Constant in a healthy process.
      record: floor,
      labels: { memory: 'native' satisfies MemoryKind },
      expr: `${RSS_AFTER_GC} - ${HEAP_AFTER_GC} - ${EXTERNAL_AFTER_GC}`,
    },
    { record: RECORDED.residentMemoryFloor, expr: RSS_AFTER_GC },
    { record: growth, expr: `deriv(${floor}[${growthWindow}])` },
    { record: RECORDED.taskUptime, expr: `time() - max ${BY_TASK} (process_start_time_seconds)` },
    {
      record: RECORDED.recentMajorGcs,
      expr: `sum ${BY_TASK} (increase(nodejs_gc_duration_seconds_count{kind="major"}[${gcCountWindow}]))`,
    },
    { record: RECORDED.memoryFloorRecentRise, expr: recentRiseExpr(windows) },
    {
      // +Inf while the floor is flat or shrinking, so the series always exists and only real growth predicts a time.
      // V8's heap limit bounds the JS heap only; external and native memory count against the container alone.
      record: RECORDED.timeToLimit,
      labels: { limit: 'heap' satisfies MemoryLimitKind, memory: 'heap' satisfies MemoryKind },
      expr:
        `(max ${BY_TASK} (heapwatch_heap_size_limit_bytes) - ${ON_TASK} ${floor}{memory="heap"})` +
        ` / ${ON_TASK} clamp_min(${growth}{memory="heap"}, 0)`,
    },
    {
      // The rest of the process is assumed constant: the container fills up when the growing floor has used the
      // headroom between the resident set after GC and the container limit.
      record: RECORDED.timeToLimit,
      labels: { limit: 'container' satisfies MemoryLimitKind },
      expr:
        `(max ${BY_TASK} (heapwatch_container_memory_limit_bytes) - ${ON_TASK} ${RECORDED.residentMemoryFloor})` +
        ` / ${ON_TASK} group_right clamp_min(${growth}, 0)`,
    },
  ];
}

/**
 * Per task and memory kind: how much the floor rose over the rise window that fits the task's major-GC period (a
 * floor changes only at major GCs, so a window shorter than the period would see a leak stand still). Absent where
 * it did not rise, or (rare GCs) where it was not rising `rareGcSustain` ago either.
 */
function recentRiseExpr(windows: ConceptWindows): string {
  const gcs = RECORDED.recentMajorGcs;
  const countSeconds = durationSeconds('gcCountWindow', windows.gcCountWindow);
  const parts: string[] = [];
  let fewerGcsThan: string | undefined;
  windows.riseWindows.forEach((window, index) => {
    const windowSeconds = durationSeconds('riseWindows', window);
    const last = index === windows.riseWindows.length - 1;
    const minGcs = formatNumber((countSeconds * 3) / (4 * windowSeconds));
    const upper = fewerGcsThan === undefined ? '' : ` < ${fewerGcsThan}`;
    const minRise = windows.minGrowthBytesPerSecond * windowSeconds;
    let part = floorRose(windowSeconds, 0, minRise);
    if (last) {
      const sustainSeconds = durationSeconds('rareGcSustain', windows.rareGcSustain);
      part += ` and ${floorRose(windowSeconds, sustainSeconds, minRise)}`;
      if (fewerGcsThan !== undefined) part += ` and ${ON_TASK} (${gcs}${upper})`;
    } else {
      part += ` and ${ON_TASK} (${gcs} >= ${minGcs}${upper})`;
    }
    parts.push(`(${part})`);
    fewerGcsThan = minGcs;
  });
  return parts.join(' or ');
}

/** What the floor rose by over `W` seconds ending `O` seconds ago, where that is at least `minRise` bytes. */
function floorRose(windowSeconds: number, offsetSeconds: number, minRise: number): string {
  const floor = RECORDED.memoryFloor;
  const now = offsetSeconds === 0 ? floor : `${floor} offset ${offsetSeconds}s`;
  return `(${now} - ${floor} offset ${offsetSeconds + windowSeconds}s >= ${formatNumber(Math.round(minRise))})`;
}

export interface FloorRisingOptions {
  readonly minGrowthBytesPerSecond: number;
  readonly warmupSeconds: number;
}

/**
 * Per task and memory kind (value: growth, bytes/s): the floor rose at least at the minimum rate over its recent
 * rise window (a one-off fill stops counting soon after it ends, not when the fitted slope forgets it; a burst that
 * recedes stops counting at once), and the task is past its warm-up.
 * Native memory counts only while neither the heap nor external memory grows: their growth moves the resident set too.
 */
export function floorRisingExpr(options: FloorRisingOptions): string {
  const growth = RECORDED.memoryFloorGrowth;
  const minGrowth = formatNumber(options.minGrowthBytesPerSecond);
  const rising =
    `(${growth} and ${ON_TASK_AND_MEMORY} ${RECORDED.memoryFloorRecentRise})` +
    ` unless ${ON_TASK} ${RECORDED.taskUptime} < ${formatNumber(options.warmupSeconds)}`;
  return (
    `(${rising}) unless ${ON_TASK_AND_MEMORY} ` +
    `(${growth}{memory="native"} and ${ON_TASK} (${growth}{memory!="native"} > ${minGrowth}))`
  );
}

/** Per task and memory kind: the earliest predicted time (seconds) until the floor reaches the heap or container limit. */
export function earliestTimeToLimitExpr(selector = ''): string {
  return `min ${byTask('memory')} (${RECORDED.timeToLimit}${selector ? `{${selector}}` : ''})`;
}

/** `expr and on (task labels, memory) other`: keeps `expr`'s value where the same floor also satisfies `other`. */
export function andOnTaskAndMemory(expr: string, other: string): string {
  return `${expr} and ${ON_TASK_AND_MEMORY} (${other})`;
}

/**
 * Per task: 0 while its agent fails every scrape. Prometheus keeps only running tasks as targets (ECS discovery,
 * `RUNNING` kept), so a stopped task's `up` goes stale instead of 0.
 */
export function agentDownExpr(): string {
  return `max ${BY_TASK} (up{job="${SCRAPE_JOB_NAME}"}) == 0`;
}

/** Label matchers for one floor of one task, as a Go-template string for alert annotations (`$labels` of the alert). */
export const FLOOR_SELECTOR_TEMPLATE = `{${[...TASK_LABELS, 'memory'].map((label) => `${label}="%s"`).join(',')}}`;
export const FLOOR_SELECTOR_TEMPLATE_ARGS = [...TASK_LABELS, 'memory'].map((label) => `$labels.${label}`).join(' ');

/** Queries of raw agent metrics shown on dashboards; `selector` is a label-matcher body such as `cluster=~"$cluster"`. */
export const panelQueries = {
  heapSpaceUsed: (selector: string) => `sum ${byTask('space')} (nodejs_heap_space_size_used_bytes{${selector}})`,
  heapSpaceAfterGc: (selector: string) => `sum ${byTask('space')} (heapwatch_heap_space_after_gc_bytes{${selector}})`,
  memoryAfterGc: (selector: string) => `max ${byTask('type')} (heapwatch_memory_after_gc_bytes{${selector}})`,
  agentsUp: (selector: string) => `sum by (cluster, service) (up{job="${SCRAPE_JOB_NAME}", ${selector}})`,
  agentsDiscovered: (selector: string) => `count by (cluster, service) (up{job="${SCRAPE_JOB_NAME}", ${selector}})`,
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
