/** Quantile with linear interpolation between the closest ranks (q in 0..1). */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.min(sorted.length - 1, below + 1);
  return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
}

/** Median, mean and range of per-pair ratios. */
export interface RatioSpread {
  readonly median: number;
  readonly mean: number;
  readonly min: number;
  readonly max: number;
  readonly pairs: readonly number[];
}

export function spreadOf(pairs: readonly number[]): RatioSpread {
  return {
    median: quantile(pairs, 0.5),
    mean: pairs.reduce((sum, pair) => sum + pair, 0) / pairs.length,
    min: Math.min(...pairs),
    max: Math.max(...pairs),
    pairs,
  };
}
