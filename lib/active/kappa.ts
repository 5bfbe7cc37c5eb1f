/**
 * Cohen's kappa between two labelings of the same items: agreement corrected for chance. The
 * stabilising-predictions stopping rule (Bloodgood & Vijay-Shanker 2009) compares consecutive
 * rounds' predictions on a fixed stopping set with it.
 *
 * @module
 */

/**
 * Cohen's kappa, `(p_o - p_e) / (1 - p_e)`, of two equally long label arrays. When chance
 * agreement is already total (`p_e = 1`: both labelings give every item the same single class) the
 * labelings are identical and kappa is defined as 1. Empty inputs give 1 as well (nothing
 * disagrees).
 *
 * @example Usage
 * ```ts
 * import { cohensKappa } from "./kappa.ts";
 * console.assert(cohensKappa([0, 1, 0, 1], [0, 1, 0, 1]) === 1);
 * console.assert(cohensKappa([0, 0, 1, 1], [0, 1, 0, 1]) === 0);
 * ```
 */
export function cohensKappa(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) {
    throw new TypeError(
      `Invalid labelings: expected equal lengths, got ${a.length} and ${b.length}`,
    );
  }
  const n = a.length;
  if (n === 0) return 1;
  const countA = new Map<number, number>();
  const countB = new Map<number, number>();
  let agree = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) agree++;
    countA.set(x, (countA.get(x) ?? 0) + 1);
    countB.set(y, (countB.get(y) ?? 0) + 1);
  }
  const po = agree / n;
  let pe = 0;
  for (const [c, na] of countA) pe += (na / n) * ((countB.get(c) ?? 0) / n);
  if (pe >= 1) return 1;
  return (po - pe) / (1 - pe);
}
