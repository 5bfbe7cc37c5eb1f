/**
 * Equivalence by two one-sided tests (TOST; Schuirmann 1987) on paired differences, with the
 * margin δ the claim states ("within 1 point" → δ = 1 pp): H₀ |μ| >= δ against H₁ |μ| < δ. The
 * lower test rejects μ <= −δ (t = (m + δ)/se), the upper one μ >= δ (t = (m − δ)/se); the TOST
 * p-value is the larger of the two one-sided p-values, and p < α is the same as the (1 − 2α)
 * Student-t interval lying inside (−δ, δ). Its mirror, the minimal-effect test, rejects |μ| <= δ
 * (the difference lies outside the margin) with p = the smaller of P(T >= (m − δ)/se) and
 * P(T <= (m + δ)/se).
 *
 * Zero variance (every repeat gives the same difference c): |c| < δ gives TOST p = 0 and
 * outside-margin p = 1; |c| > δ the reverse; |c| = δ gives 1 and 1. One repeat gives no test.
 *
 * @module
 */

import { meanSd } from "./paired.ts";
import { studentTCdf, studentTQuantile } from "./tdist.ts";

/** An equivalence test of one comparison. */
export interface EquivalenceTest {
  n: number;
  mean: number;
  /** The margin δ (> 0), in the comparison's unit. */
  margin: number;
  /** One-sided p of "μ <= −δ" (`null` below 2 repeats). */
  pLower: number | null;
  /** One-sided p of "μ >= δ". */
  pUpper: number | null;
  /** TOST p-value: max(pLower, pUpper). */
  p: number | null;
  /** p-value of "|μ| <= δ" (the difference lies outside the margin when small). */
  pOutside: number | null;
  /** The (1 − 2α) interval of the mean, the one TOST reads. */
  interval: [number, number] | null;
  /** Its level, 1 − 2α. */
  level: number;
}

/**
 * TOST of `diffs` against ±`margin` (α = 0.05 by default: a 90% interval).
 *
 * @example Usage
 * ```ts
 * import { tost } from "./tost.ts";
 * const r = tost([0.1, -0.2, 0.05, 0.0, 0.1], 1);
 * console.assert(r.p! < 0.05 && r.interval![0] > -1 && r.interval![1] < 1);
 * ```
 */
export function tost(diffs: readonly number[], margin: number, alpha = 0.05): EquivalenceTest {
  if (!(margin > 0) || !Number.isFinite(margin)) {
    throw new RangeError(`Invalid equivalence margin: expected a positive number, got ${margin}`);
  }
  if (!(alpha > 0 && alpha < 0.5)) {
    throw new RangeError(`Invalid alpha: expected 0 < alpha < 0.5, got ${alpha}`);
  }
  const n = diffs.length;
  const { mean, sd } = meanSd(diffs);
  const level = 1 - 2 * alpha;
  const none = { pLower: null, pUpper: null, p: null, pOutside: null, interval: null };
  if (sd === null) return { n, mean, margin, level, ...none };
  if (diffs.every((d) => d === diffs[0])) {
    const mean = diffs[0]!;
    const inside = Math.abs(mean) < margin;
    const outside = Math.abs(mean) > margin;
    const pEq = inside ? 0 : 1;
    return {
      n,
      mean,
      margin,
      level,
      pLower: mean > -margin ? 0 : 1,
      pUpper: mean < margin ? 0 : 1,
      p: pEq,
      pOutside: outside ? 0 : 1,
      interval: [mean, mean],
    };
  }
  const se = sd / Math.sqrt(n);
  const df = n - 1;
  const pLower = 1 - studentTCdf((mean + margin) / se, df);
  const pUpper = studentTCdf((mean - margin) / se, df);
  const pOutside = Math.min(
    1 - studentTCdf((mean - margin) / se, df),
    studentTCdf((mean + margin) / se, df),
  );
  const q = studentTQuantile(1 - alpha, df);
  return {
    n,
    mean,
    margin,
    level,
    pLower,
    pUpper,
    p: Math.max(pLower, pUpper),
    pOutside,
    interval: [mean - q * se, mean + q * se],
  };
}
