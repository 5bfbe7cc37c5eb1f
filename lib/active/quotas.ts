/**
 * Equal per-class quotas for the uniform strategies: split a batch of k as evenly as possible over
 * the classes, never asking a class for more points than it has.
 *
 * @module
 */

/**
 * Splits `k` over classes with `available[c]` points each, as evenly as possible (water-filling):
 * every class gets the same share, a class with fewer points gives all it has and its shortfall
 * is shared among the others; a remainder that cannot be split evenly goes one each to the lowest
 * classes that still have points. The quotas sum to `min(k, Σ available)`.
 *
 * @example Usage
 * ```ts
 * import { equalQuotas } from "./quotas.ts";
 * console.assert(equalQuotas([5, 1, 5], 7).join() === "3,1,3");
 * console.assert(equalQuotas([5, 5, 5], 4).join() === "2,1,1");
 * ```
 */
export function equalQuotas(available: readonly number[], k: number): number[] {
  if (!Number.isInteger(k) || k < 0) {
    throw new RangeError(`Invalid batch size: expected a non-negative integer, got ${k}`);
  }
  const quota = available.map(() => 0);
  let remaining = k;
  for (;;) {
    const open = available.flatMap((a, c) => (a > quota[c]! ? [c] : []));
    if (remaining === 0 || open.length === 0) break;
    const share = Math.floor(remaining / open.length);
    if (share === 0) {
      for (const c of open.slice(0, remaining)) quota[c]! += 1;
      break;
    }
    for (const c of open) {
      const add = Math.min(share, available[c]! - quota[c]!);
      quota[c]! += add;
      remaining -= add;
    }
  }
  return quota;
}
