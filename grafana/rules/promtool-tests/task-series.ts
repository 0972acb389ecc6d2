/** Synthetic agent metrics of one task, sampled once a minute, for promtool rule tests. */

export const MIB = 1_048_576;

export interface TaskModel {
  readonly taskId: string;
  /** Minute the process started (negative: before the test window); samples exist from max(start, 0). */
  readonly startMinute: number;
  /** Last minute with a sample; afterwards the series go stale (task stopped by a deploy). @default - runs to the end */
  readonly endMinute?: number;
  /** Old-space size right after a major GC at a given minute: the floor the rules must recover. */
  readonly floorMiB: (minute: number) => number;
  /** Minutes between major GCs. @default 3 */
  readonly gcPeriodMinutes?: number;
  /** Garbage accumulated in old space between two major GCs. @default 30 */
  readonly sawtoothMiB?: number;
  /** Random spread of the post-GC size. @default 0.25 */
  readonly jitterMiB?: number;
  /** @default 1024 */
  readonly heapLimitMiB?: number;
  /** @default - no container limit reported (unlimited) */
  readonly containerLimitMiB?: number;
  /** Resident memory besides the old space (new space, code, native). @default 100 */
  readonly nonOldResidentMiB?: number;
}

export interface SeriesSpec {
  readonly series: string;
  readonly values: string;
}

const NEW_SPACE_MIB = 16;

/** One `input_series` entry per metric the rules read, labelled as the scraper labels a task. */
export function taskSeries(
  model: TaskModel,
  labels: { readonly cluster: string; readonly service: string },
  durationMinutes: number,
): SeriesSpec[] {
  const gcPeriod = model.gcPeriodMinutes ?? 3;
  const sawtooth = model.sawtoothMiB ?? 30;
  const jitter = model.jitterMiB ?? 0.25;
  const random = seededRandom(model.taskId);
  const oldSpaceMiB = (minute: number): number => {
    const sinceGc = (((minute - model.startMinute) % gcPeriod) + gcPeriod) % gcPeriod;
    return model.floorMiB(minute) + (sawtooth * sinceGc) / gcPeriod + (random() - 0.5) * 2 * jitter;
  };
  const oldSpace = sample(model, durationMinutes, (minute) => oldSpaceMiB(minute) * MIB);
  const resident = oldSpace.map((bytes) =>
    bytes === undefined ? undefined : bytes + (model.nonOldResidentMiB ?? 100) * MIB,
  );
  const constant = (value: number) => sample(model, durationMinutes, () => value);

  const selector = (name: string, extra = '') =>
    `${name}{cluster="${labels.cluster}",service="${labels.service}",task_id="${model.taskId}",` +
    `job="heapwatch",instance="${model.taskId}:9464"${extra}}`;
  const specs: SeriesSpec[] = [
    { series: selector('nodejs_heap_space_size_used_bytes', ',space="old"'), values: render(oldSpace) },
    {
      series: selector('nodejs_heap_space_size_used_bytes', ',space="new"'),
      values: render(constant(NEW_SPACE_MIB * MIB)),
    },
    { series: selector('process_resident_memory_bytes'), values: render(resident) },
    {
      // One major GC at every trough of the sawtooth (the first at the process start).
      series: selector('nodejs_gc_duration_seconds_count', ',kind="major"'),
      values: render(
        sample(model, durationMinutes, (minute) => Math.floor((minute - model.startMinute) / gcPeriod) + 1),
      ),
    },
    { series: selector('process_start_time_seconds'), values: render(constant(model.startMinute * 60)) },
    {
      series: selector('heapwatch_heap_size_limit_bytes'),
      values: render(constant((model.heapLimitMiB ?? 1024) * MIB)),
    },
  ];
  if (model.containerLimitMiB !== undefined) {
    specs.push({
      series: selector('heapwatch_container_memory_limit_bytes'),
      values: render(constant(model.containerLimitMiB * MIB)),
    });
  }
  return specs;
}

function sample(model: TaskModel, durationMinutes: number, value: (minute: number) => number): (number | undefined)[] {
  const samples: (number | undefined)[] = [];
  for (let minute = 0; minute <= durationMinutes; minute++) {
    const alive = minute >= model.startMinute && (model.endMinute === undefined || minute <= model.endMinute);
    samples.push(alive ? value(minute) : undefined);
  }
  return samples;
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

/** Floor shapes. */
export const floors = {
  flat: (mib: number) => () => mib,
  /** Flat, then rising linearly from `onsetMinute` at a rate that reaches `limitMiB` in `hoursToLimit`. */
  leak:
    (baseMiB: number, onsetMinute: number, limitMiB: number, hoursToLimit: number) =>
    (minute: number): number =>
      baseMiB + Math.max(0, minute - onsetMinute) * ((limitMiB - baseMiB) / (hoursToLimit * 60)),
  /** Linear from `fromMiB` to `toMiB` over [startMinute, endMinute], flat outside. */
  ramp:
    (fromMiB: number, toMiB: number, startMinute: number, endMinute: number) =>
    (minute: number): number => {
      const progress = Math.min(1, Math.max(0, (minute - startMinute) / (endMinute - startMinute)));
      return fromMiB + (toMiB - fromMiB) * progress;
    },
  /** Piecewise-linear through [minute, MiB] points, flat before the first and after the last. */
  path:
    (points: readonly (readonly [number, number])[]) =>
    (minute: number): number => {
      if (minute <= points[0][0]) return points[0][1];
      for (let i = 1; i < points.length; i++) {
        const [m0, v0] = points[i - 1];
        const [m1, v1] = points[i];
        if (minute <= m1) return v0 + ((v1 - v0) * (minute - m0)) / (m1 - m0);
      }
      return points[points.length - 1][1];
    },
};
