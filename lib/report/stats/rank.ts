/**
 * Rank correlation: Spearman's rho (Pearson's correlation of average ranks, so ties are
 * handled) with a two-sided permutation p-value (seeded, so the same data give the same p).
 * Holm's adjustment across several such tests is `holm.ts`.
 *
 * @module
 */

import { createRng } from "../../util/random.ts";

/**
 * Average ranks (1-based; tied values share the mean of their ranks).
 *
 * @example
 * ```ts
 * import { ranks } from "./rank.ts";
 * console.assert(ranks([10, 30, 20, 20]).join() === "1,4,2.5,2.5");
 * ```
 */
export function ranks(values: readonly number[]): Float64Array {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const out = new Float64Array(values.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) out[order[k]![1]] = r;
    i = j + 1;
  }
  return out;
}

function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number | null {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i]!;
    my += y[i]!;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx;
    const dy = y[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxx === 0 || syy === 0 ? null : sxy / Math.sqrt(sxx * syy);
}

/**
 * Spearman's rho of paired values; `null` with fewer than 3 pairs or when either side is constant.
 *
 * @example
 * ```ts
 * import { spearman } from "./rank.ts";
 * console.assert(spearman([1, 2, 3, 4], [10, 20, 15, 40]) === 0.8);
 * ```
 */
export function spearman(x: readonly number[], y: readonly number[]): number | null {
  if (x.length !== y.length) {
    throw new RangeError(`Invalid pairs: expected equal lengths, got ${x.length} and ${y.length}`);
  }
  if (x.length < 3) return null;
  return pearson(ranks(x), ranks(y));
}

/** Rho and its two-sided permutation p-value. */
export interface RankTest {
  readonly rho: number | null;
  /** `(1 + #{|rho_perm| >= |rho|}) / (1 + permutations)`; `null` when rho is. */
  readonly p: number | null;
  readonly n: number;
}

/**
 * Spearman's rho with a permutation test: shuffle `y` `permutations` times (seeded) and count
 * how often the shuffled |rho| reaches the observed one.
 */
export function spearmanTest(
  x: readonly number[],
  y: readonly number[],
  options: { permutations?: number; seed?: number } = {},
): RankTest {
  const rho = spearman(x, y);
  if (rho === null) return { rho, p: null, n: x.length };
  const permutations = options.permutations ?? 9999;
  const rx = ranks(x);
  const ry = Array.from(ranks(y));
  const rng = createRng(options.seed ?? 0);
  let hits = 0;
  for (let k = 0; k < permutations; k++) {
    for (let i = ry.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      const t = ry[i]!;
      ry[i] = ry[j]!;
      ry[j] = t;
    }
    if (Math.abs(pearson(rx, ry) ?? 0) >= Math.abs(rho) - 1e-12) hits++;
  }
  return { rho, p: (hits + 1) / (permutations + 1), n: x.length };
}
