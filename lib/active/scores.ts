/**
 * Uncertainty scores of class-probability rows (Settles 2009; thesis Eq. 1–3): least confidence,
 * margin and entropy. Higher least-confidence and entropy mean more uncertain; a *smaller* margin
 * means more uncertain.
 *
 * Entropy uses the natural log by default; `log: "log10"` is the thesis code's `torch.log10`. The
 * two differ by the constant factor ln 10, so they rank points identically and only matter for the
 * size of a stopping threshold. `p log p` is taken as 0 at `p = 0` (and for any `p <= 0`), so a
 * row of zeros has entropy 0, never NaN.
 *
 * @module
 */

import { type Probs, probsRow } from "./probs.ts";

/** Which logarithm entropy uses: natural (nats, the default) or base 10 (the thesis code). */
export type EntropyLog = "ln" | "log10";

/** Options of the entropy functions. */
export interface EntropyOptions {
  /** The logarithm; `"ln"` unless said otherwise. */
  log?: EntropyLog;
}

/**
 * Entropy of one probability row, `-Σ p log p`, with `0 log 0 = 0`.
 *
 * @example Usage
 * ```ts
 * import { entropyOf } from "./scores.ts";
 * console.assert(Math.abs(entropyOf([0.5, 0.5]) - Math.LN2) < 1e-12);
 * console.assert(entropyOf([0, 0, 0]) === 0);
 * ```
 */
export function entropyOf(row: ArrayLike<number>, options: EntropyOptions = {}): number {
  let h = 0;
  for (let c = 0; c < row.length; c++) {
    const p = row[c]!;
    if (p > 0) h -= p * Math.log(p);
  }
  // Normalise -0 to 0 so serialised output never shows "-0".
  h = h === 0 ? 0 : h;
  return options.log === "log10" ? h / Math.LN10 : h;
}

/**
 * Entropy of every row.
 *
 * @example Usage
 * ```ts
 * import { entropyScores } from "./scores.ts";
 * import { probsFromRows } from "./probs.ts";
 * const h = entropyScores(probsFromRows([[1, 0], [0.5, 0.5]]));
 * console.assert(h[0] === 0 && h[1]! > 0);
 * ```
 */
export function entropyScores(p: Probs, options: EntropyOptions = {}): Float64Array {
  const out = new Float64Array(p.rows);
  for (let i = 0; i < p.rows; i++) out[i] = entropyOf(probsRow(p, i), options);
  return out;
}

/**
 * Least confidence of every row, `1 - max p` (thesis Eq. 1): larger is more uncertain.
 *
 * @example Usage
 * ```ts
 * import { leastConfidenceScores } from "./scores.ts";
 * import { probsFromRows } from "./probs.ts";
 * console.assert(leastConfidenceScores(probsFromRows([[0.25, 0.75]]))[0] === 0.25);
 * ```
 */
export function leastConfidenceScores(p: Probs): Float64Array {
  const out = new Float64Array(p.rows);
  for (let i = 0; i < p.rows; i++) {
    let max = -Infinity;
    const row = probsRow(p, i);
    for (let c = 0; c < row.length; c++) max = Math.max(max, row[c]!);
    out[i] = 1 - max;
  }
  return out;
}

/**
 * Margin of every row, the largest minus the second largest probability (thesis Eq. 2): *smaller*
 * is more uncertain. A row with one class has margin equal to its value.
 *
 * @example Usage
 * ```ts
 * import { marginScores } from "./scores.ts";
 * import { probsFromRows } from "./probs.ts";
 * console.assert(marginScores(probsFromRows([[0.5, 0.25, 0.25]]))[0] === 0.25);
 * ```
 */
export function marginScores(p: Probs): Float64Array {
  const out = new Float64Array(p.rows);
  for (let i = 0; i < p.rows; i++) {
    let first = -Infinity;
    let second = -Infinity;
    const row = probsRow(p, i);
    for (let c = 0; c < row.length; c++) {
      const v = row[c]!;
      if (v > first) {
        second = first;
        first = v;
      } else if (v > second) {
        second = v;
      }
    }
    out[i] = second === -Infinity ? first : first - second;
  }
  return out;
}

/**
 * Mean entropy over the given rows (all rows when `rows` is omitted); `null` for no rows.
 *
 * @example Usage
 * ```ts
 * import { meanEntropy } from "./scores.ts";
 * import { probsFromRows } from "./probs.ts";
 * console.assert(meanEntropy(probsFromRows([[1, 0], [1, 0]])) === 0);
 * ```
 */
export function meanEntropy(
  p: Probs,
  rows?: ArrayLike<number>,
  options: EntropyOptions = {},
): number | null {
  const count = rows === undefined ? p.rows : rows.length;
  if (count === 0) return null;
  let sum = 0;
  for (let r = 0; r < count; r++) {
    const i = rows === undefined ? r : rows[r]!;
    sum += entropyOf(probsRow(p, i), options);
  }
  return sum / count;
}
