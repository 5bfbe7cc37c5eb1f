/**
 * L2 distances between probability rows and cluster centres: the two readings of "distance from
 * the cluster centres" in the thesis. Its text (Algorithm 1, clustering strategy) measures a point
 * against its own, i.e. nearest, centre; its code sums the distances to all centres.
 *
 * @module
 */

import { type Probs, probsRow } from "./probs.ts";

/** How a point's distance to a set of centres is measured. */
export type CentreDistance = "nearest" | "sum";

/** Euclidean distance between a row and a centre of the same length. */
export function l2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let c = 0; c < a.length; c++) {
    const d = a[c]! - b[c]!;
    s += d * d;
  }
  return Math.sqrt(s);
}

/**
 * Distance of each given row of `p` to the centres: to the nearest centre (`"nearest"`, the
 * thesis text) or summed over all centres (`"sum"`, the thesis code).
 *
 * @example Usage
 * ```ts
 * import { centreDistances } from "./distances.ts";
 * import { probsFromRows } from "./probs.ts";
 * const p = probsFromRows([[1, 0]]);
 * const centres = [Float64Array.of(1, 0), Float64Array.of(0, 1)];
 * console.assert(centreDistances(p, centres, "nearest")[0] === 0);
 * console.assert(Math.abs(centreDistances(p, centres, "sum")[0]! - Math.SQRT2) < 1e-12);
 * ```
 */
export function centreDistances(
  p: Probs,
  centres: readonly ArrayLike<number>[],
  how: CentreDistance,
  rows?: ArrayLike<number>,
): Float64Array {
  if (centres.length === 0) {
    throw new RangeError("Invalid centres: expected at least one cluster centre, got none");
  }
  const count = rows === undefined ? p.rows : rows.length;
  const out = new Float64Array(count);
  for (let r = 0; r < count; r++) {
    const row = probsRow(p, rows === undefined ? r : rows[r]!);
    let acc = how === "nearest" ? Infinity : 0;
    for (const centre of centres) {
      const d = l2(row, centre);
      acc = how === "nearest" ? Math.min(acc, d) : acc + d;
    }
    out[r] = acc;
  }
  return out;
}
