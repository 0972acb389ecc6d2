import type { Turnover } from './stack-series';

/**
 * When does a count of heap-profile samples grow "beyond noise"?
 *
 * V8 samples an allocation with a probability that makes each sample stand for about one sampling interval of
 * bytes, independently of the others, so the number of samples at a site is approximately Poisson. Every sample has
 * an ordinal, unique within the process, so between two reads of one process the samples of a site split into those
 * alive at both reads (they change nothing), those *born* in between (allocated, sampled and still alive) and those
 * that *died*. The count changes by born − died. A site that does not grow allocates and frees at the same rate, so
 * born and died are then independent Poisson counts with the same mean and born − died has variance born + died
 * (Skellam). Growth is called real when
 *
 *     born − died > z · √(born + died)   and   born − died ≥ MIN_SAMPLE_GROWTH,
 *
 * the normal approximation of that difference, with a floor where the approximation is poor (and a leak worth
 * reporting is at least 10 sampling intervals of bytes per interval). A bounded cache that churns has born ≈ died
 * and stays within noise however many objects it replaces; a leak has died ≈ 0, so its growth stands out early.
 *
 * z for sites: a series examines every site of the call tree, so one fixed z would raise false alarms in proportion
 * to their number. With m sites examined and a family-wise false-alarm rate α = 1 %, each site is tested at α/m
 * (Bonferroni): z = Φ⁻¹(1 − α/m), and never below 3. A site without growth is called growing in *every* interval
 * with probability at most that of one interval, so the whole series raises a false `leak` with probability ≤ 1 %.
 * Typical values: m ≤ 7 → z = 3, m = 100 → 3.72, m = 1 000 → 4.26, m = 10 000 → 4.75.
 *
 * z for the total of all samples: one test per interval, z = 3 (0.13 % per interval).
 */
export const FAMILY_FALSE_ALARM_RATE = 0.01;
export const MIN_SAMPLE_GROWTH = 10;
export const TOTAL_Z = 3;
const MIN_Z = 3;

/** z for each of `sitesExamined` sites so that, all together, a false alarm has probability ≤ `familyRate`. */
export function siteZ(sitesExamined: number, familyRate = FAMILY_FALSE_ALARM_RATE): number {
  return Math.max(MIN_Z, upperNormalQuantile(familyRate / Math.max(1, sitesExamined)));
}

export function grewBeyondNoise({ born, died }: Turnover, z: number): boolean {
  const growth = born - died;
  return growth >= MIN_SAMPLE_GROWTH && growth > z * Math.sqrt(born + died);
}

/** Grew beyond noise between each profile and the next (at least one interval). */
export function growsInEveryInterval(intervals: readonly Turnover[], z: number): boolean {
  return intervals.length > 0 && intervals.every((interval) => grewBeyondNoise(interval, z));
}

/**
 * z with P(Z > z) = `tail` for a standard normal Z (Acklam's rational approximation, relative error < 1.2e-9),
 * computed from the tail itself so that tails of 1e-10 keep their precision.
 */
export function upperNormalQuantile(tail: number): number {
  if (!(tail > 0 && tail < 1)) throw new RangeError(`a tail probability is between 0 and 1 exclusive, got ${tail}`);
  return -lowerNormalQuantile(tail);
}

const A = [
  -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239,
];
const B = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
const C = [
  -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
  2.938163982698783,
];
const D = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
const P_LOW = 0.02425;

function lowerNormalQuantile(p: number): number {
  if (p < P_LOW || p > 1 - P_LOW) {
    const q = Math.sqrt(-2 * Math.log(p < P_LOW ? p : 1 - p));
    const x =
      (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5]) /
      ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1);
    return p < P_LOW ? x : -x;
  }
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q) /
    (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1)
  );
}
