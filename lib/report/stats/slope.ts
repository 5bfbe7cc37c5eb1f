/**
 * Slopes for "X hardly affects Y" claims over a range of settings (seed size): per repeat, the
 * least-squares slope of Y on X; the slopes of the repeats are then tested like paired
 * differences (Student-t interval, TOST against a margin per unit of X). Fitting within a repeat
 * keeps the pairing (one seed per repeat) and uses every setting, not just the extremes; the
 * max − min range used before is biased upwards (it grows with noise and with the number of
 * settings).
 *
 * @module
 */

/**
 * Ordinary least-squares slope of `y` on `x` (at least two distinct x).
 *
 * @example Usage
 * ```ts
 * import { olsSlope } from "./slope.ts";
 * // The textbook example x = 1..5, y = 2, 4, 5, 4, 5: slope 0.6.
 * console.assert(Math.abs(olsSlope([1, 2, 3, 4, 5], [2, 4, 5, 4, 5]) - 0.6) < 1e-12);
 * ```
 */
export function olsSlope(x: readonly number[], y: readonly number[]): number {
  if (x.length !== y.length) {
    throw new RangeError(`Invalid regression: ${x.length} x values but ${y.length} y values`);
  }
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
  }
  if (!(sxx > 0)) {
    throw new RangeError("Invalid regression: expected at least two distinct x values");
  }
  return sxy / sxx;
}
