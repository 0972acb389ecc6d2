import { SCRAPE_JOB_NAME } from '../../scrape-labels';

/** Synthetic agent metrics of one task, sampled once a minute, for promtool rule tests. */

export const MIB = 1_048_576;

/** A quantity in MiB at a given minute of the test. */
export type Shape = (minute: number) => number;

export interface TaskModel {
  readonly taskId: string;
  /** Minute the process started (negative: before the test window); samples exist from max(start, 0). */
  readonly startMinute: number;
  /** Last minute with a sample; afterwards the series go stale (task stopped by a deploy). @default - runs to the end */
  readonly endMinute?: number;
  /** JS heap used (all spaces) right after a major GC at a given minute: the heap floor the rules must see. */
  readonly heapMiB: Shape;
  /** The heap space that holds what the heap floor gains (a leak of big arrays or strings grows large objects). @default 'old' */
  readonly growingSpace?: 'old' | 'large_object';
  /** External memory (Buffers, ArrayBuffers) right after a major GC. @default 8 MiB, flat */
  readonly externalMiB?: Shape;
  /** Resident memory beyond the heap and external memory (runtime, native addons). @default 60 MiB, flat */
  readonly nativeMiB?: Shape;
  /** Minutes between major GCs; the agent's gauges change only then. @default 3 */
  readonly gcPeriodMinutes?: number;
  /** Minutes from the start to the first major GC. @default 0 */
  readonly gcPhaseMinutes?: number;
  /** Random spread of each post-GC reading. @default 0.25 */
  readonly jitterMiB?: number;
  /** @default 1024 */
  readonly heapLimitMiB?: number;
  /** @default - no container limit reported (unlimited) */
  readonly containerLimitMiB?: number;
  /** Minutes [from, to) in which every scrape of the agent fails (`up` 0, its series stale). */
  readonly agentDown?: readonly [number, number];
}

export interface SeriesSpec {
  readonly series: string;
  readonly values: string;
}

/** Heap spaces besides the growing one, in MiB after a GC (they do not grow in these models). */
const STEADY_SPACES_MIB = { new: 1, code: 3 } as const;
const OTHER_SPACE_MIB = 2;

/** One `input_series` entry per metric the rules read, labelled as the scraper labels a task. */
export function taskSeries(
  model: TaskModel,
  labels: { readonly cluster: string; readonly service: string },
  durationMinutes: number,
): SeriesSpec[] {
  const readings = postGcReadings(model, durationMinutes);
  const scraped = (minute: number) =>
    minute >= model.startMinute &&
    (model.endMinute === undefined || minute <= model.endMinute) &&
    !(model.agentDown && minute >= model.agentDown[0] && minute < model.agentDown[1]);
  const series = (value: (minute: number) => number | undefined) =>
    render(Array.from({ length: durationMinutes + 1 }, (_, minute) => (scraped(minute) ? value(minute) : undefined)));
  const reading = (minute: number) => readings.at(minute);

  const growing = model.growingSpace ?? 'old';
  const other = growing === 'old' ? 'large_object' : 'old';
  const steadyHeap = OTHER_SPACE_MIB + STEADY_SPACES_MIB.new + STEADY_SPACES_MIB.code;
  const selector = (name: string, extra = '') =>
    `${name}{cluster="${labels.cluster}",service="${labels.service}",task_id="${model.taskId}",` +
    `job="${SCRAPE_JOB_NAME}",instance="${model.taskId}"${extra}}`;
  const afterGc = (pick: (value: PostGcReading) => number) => series((minute) => mib(reading(minute), pick));

  const specs: SeriesSpec[] = [
    {
      series: selector('heapwatch_heap_space_after_gc_bytes', `,space="${growing}"`),
      values: afterGc((value) => value.heap - steadyHeap),
    },
    {
      series: selector('heapwatch_heap_space_after_gc_bytes', `,space="${other}"`),
      values: afterGc(() => OTHER_SPACE_MIB),
    },
    ...Object.entries(STEADY_SPACES_MIB).map(([space, size]) => ({
      series: selector('heapwatch_heap_space_after_gc_bytes', `,space="${space}"`),
      values: afterGc(() => size),
    })),
    {
      series: selector('heapwatch_memory_after_gc_bytes', ',type="external"'),
      values: afterGc((value) => value.external),
    },
    {
      series: selector('heapwatch_memory_after_gc_bytes', ',type="rss"'),
      values: afterGc((value) => value.heap + value.external + value.native),
    },
    {
      series: selector('nodejs_gc_duration_seconds_count', ',kind="major"'),
      values: series((minute) => readings.countUntil(minute)),
    },
    { series: selector('process_start_time_seconds'), values: series(() => model.startMinute * 60) },
    { series: selector('heapwatch_heap_size_limit_bytes'), values: series(() => (model.heapLimitMiB ?? 1024) * MIB) },
    {
      // A failed scrape writes up 0 and marks the target's other series stale.
      series: selector('up'),
      values: render(
        Array.from({ length: durationMinutes + 1 }, (_, minute) => {
          const running = minute >= model.startMinute && (model.endMinute === undefined || minute <= model.endMinute);
          return running ? (scraped(minute) ? 1 : 0) : undefined;
        }),
      ),
    },
  ];
  if (model.containerLimitMiB !== undefined) {
    specs.push({
      series: selector('heapwatch_container_memory_limit_bytes'),
      values: series(() => model.containerLimitMiB! * MIB),
    });
  }
  return specs;
}

interface PostGcReading {
  readonly heap: number;
  readonly external: number;
  readonly native: number;
}

/** The agent's reading at each major GC, held until the next; none before the first GC. */
function postGcReadings(model: TaskModel, durationMinutes: number) {
  const period = model.gcPeriodMinutes ?? 3;
  const first = model.startMinute + (model.gcPhaseMinutes ?? 0);
  const jitter = model.jitterMiB ?? 0.25;
  const random = seededRandom(model.taskId);
  const noise = () => (random() - 0.5) * 2 * jitter;
  const gcs: { readonly minute: number; readonly reading: PostGcReading }[] = [];
  for (let minute = first; minute <= durationMinutes; minute += period) {
    gcs.push({
      minute,
      reading: {
        heap: model.heapMiB(minute) + noise(),
        external: (model.externalMiB ?? (() => 8))(minute) + noise(),
        native: (model.nativeMiB ?? (() => 60))(minute) + noise(),
      },
    });
  }
  const lastIndexAt: number[] = [];
  for (let minute = 0, index = -1; minute <= durationMinutes; minute++) {
    while (index + 1 < gcs.length && gcs[index + 1].minute <= minute) index++;
    lastIndexAt.push(index);
  }
  return {
    at: (minute: number): PostGcReading | undefined => gcs[lastIndexAt[minute]]?.reading,
    countUntil: (minute: number): number => lastIndexAt[minute] + 1,
  };
}

function mib(reading: PostGcReading | undefined, pick: (value: PostGcReading) => number): number | undefined {
  return reading === undefined ? undefined : pick(reading) * MIB;
}

/** promtool's series notation: a number per minute, `_` where there is no sample, `stale` right after the last. */
function render(samples: readonly (number | undefined)[]): string {
  return samples
    .map((value, index) => {
      if (value !== undefined) return String(Math.round(value));
      return index > 0 && samples[index - 1] !== undefined ? 'stale' : '_';
    })
    .join(' ');
}

/** Deterministic pseudo-random numbers in [0, 1) so generated tests are reproducible (mulberry32). */
function seededRandom(seed: string): () => number {
  let state = 0;
  for (const char of seed) state = (Math.imul(state, 31) + char.charCodeAt(0)) | 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Shapes of a quantity over time. */
export const shapes = {
  flat:
    (mib: number): Shape =>
    () =>
      mib,
  /** Flat at `baseMiB`, then rising linearly from `onsetMinute` by `mibPerHour`. */
  linear:
    (baseMiB: number, onsetMinute: number, mibPerHour: number): Shape =>
    (minute) =>
      baseMiB + (Math.max(0, minute - onsetMinute) * mibPerHour) / 60,
  /** Linear from `fromMiB` to `toMiB` over [startMinute, endMinute], flat outside. */
  ramp:
    (fromMiB: number, toMiB: number, startMinute: number, endMinute: number): Shape =>
    (minute) => {
      const progress = Math.min(1, Math.max(0, (minute - startMinute) / (endMinute - startMinute)));
      return fromMiB + (toMiB - fromMiB) * progress;
    },
  /** From `fromMiB` towards `toMiB` after `startMinute`, closing 63 % of the gap every `tauMinutes`. */
  approach:
    (fromMiB: number, toMiB: number, startMinute: number, tauMinutes: number): Shape =>
    (minute) =>
      minute <= startMinute ? fromMiB : toMiB - (toMiB - fromMiB) * Math.exp(-(minute - startMinute) / tauMinutes),
  /** Piecewise-linear through [minute, MiB] points, flat before the first and after the last. */
  path:
    (points: readonly (readonly [number, number])[]): Shape =>
    (minute) => {
      if (minute <= points[0][0]) return points[0][1];
      for (let i = 1; i < points.length; i++) {
        const [m0, v0] = points[i - 1];
        const [m1, v1] = points[i];
        if (minute <= m1) return v0 + ((v1 - v0) * (minute - m0)) / (m1 - m0);
      }
      return points[points.length - 1][1];
    },
  sum:
    (...parts: readonly Shape[]): Shape =>
    (minute) =>
      parts.reduce((total, part) => total + part(minute), 0),
};
