/**
 * The paired t-test on per-repeat differences d₁…dₙ (configuration A − configuration B, paired
 * by repeat index: repeats with the same index share their random seed): mean, sample standard
 * deviation, the Student-t interval with df = n − 1, and the two-sided p-value of "mean = 0".
 *
 * **Zero variance** (every repeat gives the same difference c, n ≥ 2): the t statistic is not
 * defined (c / 0), so the p-value comes from the exact sign test instead: under "no difference"
 * each repeat's sign is a fair coin, and the chance that all n agree is 2 · 2⁻ⁿ (two-sided), so
 * p = 2¹⁻ⁿ when c ≠ 0 (0.0625 at n = 5; it needs 6 repeats to reach 0.05 on its own) and p = 1
 * when c = 0. The interval is the point [c, c]. "The same" allows floating-point rounding
 * ({@linkcode commonValue}): 100·a − 100·b for the same count difference in every repeat is not
 * bit-identical, and a t-test on that rounding noise would report p ≈ 0.
 *
 * @module
 */

import { summarize } from "../aggregate.ts";
import { studentTCdf, studentTQuantile } from "./tdist.ts";

/** The paired t-test of one comparison. */
export interface PairedTest {
  /** Number of paired repeats. */
  n: number;
  /** Mean difference. */
  mean: number;
  /** Sample standard deviation of the differences (`null` below 2 repeats). */
  sd: number | null;
  /** Standard error sd / √n (`null` below 2 repeats). */
  se: number | null;
  /** Degrees of freedom, n − 1. */
  df: number;
  /** t statistic (`null` below 2 repeats or with zero variance). */
  t: number | null;
  /** Two-sided p-value of "mean difference = 0" (`null` below 2 repeats). */
  p: number | null;
  /** Student-t interval at `level` (`null` below 2 repeats). */
  interval: [number, number] | null;
  /** Confidence level of `interval`. */
  level: number;
  /** True when every difference is the same (the sign-test rule applied). */
  zeroVariance: boolean;
}

/** Relative tolerance under which differences count as the same (rounding, not spread). */
export const SAME_TOLERANCE = 1e-9;

/** Mean and sample standard deviation (n − 1) of finite values. */
export function meanSd(values: readonly number[]): { mean: number; sd: number | null } {
  const n = values.length;
  if (n === 0) throw new RangeError("Invalid sample: expected at least one value, got none");
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    throw new RangeError(`Invalid sample: expected finite numbers, got ${values[bad]} at ${bad}`);
  }
  const { mean, sd } = summarize(values);
  return { mean, sd };
}

/**
 * The value every entry shares, or `null` when they differ: equal within
 * {@linkcode SAME_TOLERANCE} · max(1, max |v|), so that floating-point rounding is not mistaken
 * for spread; a common value that small is 0.
 *
 * @example Usage
 * ```ts
 * import { commonValue } from "./paired.ts";
 * console.assert(commonValue([100 * 0.9812 - 100 * 0.9711, 100 * 0.9912 - 100 * 0.9811]) !== null);
 * console.assert(commonValue([1, 1.001]) === null);
 * ```
 */
export function commonValue(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const scale = Math.max(1, ...values.map(Math.abs));
  const tol = SAME_TOLERANCE * scale;
  const first = values[0]!;
  if (!values.every((v) => Math.abs(v - first) <= tol)) return null;
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.abs(mean) <= tol ? 0 : mean;
}

/**
 * Paired t-test and Student-t interval of the mean difference (level 0.95 by default).
 *
 * @example Student's sleep data (Cushny & Peebles 1905; R's `t.test(..., paired = TRUE)`)
 * ```ts
 * import { pairedTTest } from "./paired.ts";
 * const d = [1.2, 2.4, 1.3, 1.3, 0, 1, 1.8, 0.8, 4.6, 1.4];
 * const r = pairedTTest(d);
 * console.assert(Math.abs(r.t! - 4.0621) < 1e-4 && Math.abs(r.p! - 0.002833) < 1e-6);
 * ```
 */
export function pairedTTest(diffs: readonly number[], level = 0.95): PairedTest {
  if (!(level > 0 && level < 1)) {
    throw new RangeError(`Invalid confidence level: expected 0 < level < 1, got ${level}`);
  }
  const n = diffs.length;
  const { mean, sd } = meanSd(diffs);
  const base = { n, mean, df: n - 1, level };
  if (sd === null) {
    return { ...base, sd, se: null, t: null, p: null, interval: null, zeroVariance: false };
  }
  const c = commonValue(diffs);
  if (c !== null) {
    const p = c === 0 ? 1 : Math.min(1, 2 ** (1 - n));
    return { ...base, mean: c, sd: 0, se: 0, t: null, p, interval: [c, c], zeroVariance: true };
  }
  const se = sd / Math.sqrt(n);
  const t = mean / se;
  const p = Math.min(1, 2 * studentTCdf(-Math.abs(t), n - 1));
  const q = studentTQuantile(1 - (1 - level) / 2, n - 1);
  return {
    ...base,
    sd,
    se,
    t,
    p,
    interval: [mean - q * se, mean + q * se],
    zeroVariance: false,
  };
}
