/** Quantile with linear interpolation between the closest ranks (q in 0..1). */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.min(sorted.length - 1, below + 1);
  return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
}

/** Median and interquartile range of per-pair ratios. */
export interface RatioSpread {
  readonly median: number;
  readonly q1: number;
  readonly q3: number;
  readonly min: number;
  readonly max: number;
  readonly pairs: readonly number[];
}

export function spreadOf(pairs: readonly number[]): RatioSpread {
  return {
    median: quantile(pairs, 0.5),
    q1: quantile(pairs, 0.25),
    q3: quantile(pairs, 0.75),
    min: Math.min(...pairs),
    max: Math.max(...pairs),
    pairs,
  };
}
