import type { CallFrame, HeapProfile } from './heap-profile';
import { isCaptureStack } from './profile-frames';
import type { SampleTurnover } from './report';

/** Counted in place while the series are built; the report's {@link SampleTurnover} is its read-only view. */
export interface Turnover extends SampleTurnover {
  born: number;
  died: number;
}

/** One stack's live samples and bytes in every profile, oldest first (0 where a profile lacks it). */
export interface StackSeries {
  readonly key: string;
  readonly frames: readonly CallFrame[];
  readonly samples: number[];
  readonly bytes: number[];
  /** Per interval between consecutive profiles: samples[i + 1] − samples[i] = born − died. */
  readonly intervals: Turnover[];
  /** From the first profile to the last. */
  readonly overall: Turnover;
  /** Allocated while a heap snapshot was written (V8's caches for it): left out of sites and the total's test. */
  readonly capture: boolean;
}

export function emptyTurnover(): Turnover {
  return { born: 0, died: 0 };
}

/** Lines up the stacks of every profile by key, with the samples born and dead between the profiles. */
export function stackSeries(profiles: readonly HeapProfile[]): StackSeries[] {
  const count = profiles.length;
  const series = new Map<string, StackSeries>();
  const line = (key: string, frames: readonly CallFrame[]): StackSeries => {
    let found = series.get(key);
    if (!found) {
      found = {
        key,
        frames,
        samples: new Array<number>(count).fill(0),
        bytes: new Array<number>(count).fill(0),
        intervals: Array.from({ length: Math.max(0, count - 1) }, emptyTurnover),
        overall: emptyTurnover(),
        capture: isCaptureStack(frames),
      };
      series.set(key, found);
    }
    return found;
  };
  profiles.forEach((profile, index) => {
    for (const stack of profile.stacks.values()) {
      const measure = line(stack.key, stack.frames);
      measure.samples[index] = stack.samples;
      measure.bytes[index] = stack.bytes;
    }
  });
  for (let i = 0; i + 1 < count; i++) {
    countTurnover(profiles[i], profiles[i + 1], series, (stack) => stack.intervals[i]);
  }
  if (count >= 2) countTurnover(profiles[0], profiles[count - 1], series, (stack) => stack.overall);
  return [...series.values()];
}

/** A sample found again under another stack (rare: see heap-profile.ts) died at the one and was born at the other. */
function countTurnover(
  before: HeapProfile,
  after: HeapProfile,
  series: ReadonlyMap<string, StackSeries>,
  turnover: (stack: StackSeries) => Turnover,
): void {
  const stackBefore = new Map(before.samples.map((sample) => [sample.ordinal, sample.stack]));
  const stackAfter = new Map(after.samples.map((sample) => [sample.ordinal, sample.stack]));
  for (const sample of after.samples) {
    if (stackBefore.get(sample.ordinal) !== sample.stack) turnover(series.get(sample.stack)!).born++;
  }
  for (const sample of before.samples) {
    if (stackAfter.get(sample.ordinal) !== sample.stack) turnover(series.get(sample.stack)!).died++;
  }
}
