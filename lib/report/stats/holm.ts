/**
 * Holm–Bonferroni step-down adjustment (Holm 1979): the p-values of one claim's comparisons,
 * sorted p₍₁₎ <= … <= p₍ₘ₎, become p̃₍ᵢ₎ = max over j <= i of min(1, (m − j + 1) · p₍ⱼ₎). Rejecting
 * every comparison with p̃ < α controls the family-wise error rate at α. `null` entries (a
 * comparison without a test) are left out of m and stay `null`.
 *
 * @module
 */

/**
 * Holm-adjusted p-values, in the input's order.
 *
 * @example Wikipedia's example (four hypotheses, α = 0.05; R's `p.adjust(..., "holm")`)
 * ```ts
 * import { holm } from "./holm.ts";
 * console.assert(holm([0.01, 0.04, 0.03, 0.005]).join() === "0.03,0.06,0.06,0.02");
 * ```
 */
export function holm(pValues: readonly (number | null)[]): (number | null)[] {
  const present = pValues.map((p, i) => ({ p, i })).filter((x): x is { p: number; i: number } =>
    x.p !== null
  );
  for (const { p } of present) {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`Invalid p-value: expected 0..1, got ${p}`);
  }
  const m = present.length;
  // Stable sort: equal p-values keep their input order, so the output does not depend on it.
  const sorted = [...present].sort((a, b) => a.p - b.p || a.i - b.i);
  const out: (number | null)[] = pValues.map(() => null);
  let running = 0;
  sorted.forEach(({ p, i }, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p));
    out[i] = running;
  });
  return out;
}
