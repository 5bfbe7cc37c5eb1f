/**
 * The verdicts' arithmetic against published values:
 * - Student-t quantiles: NIST/SEMATECH e-Handbook of Statistical Methods, §1.3.6.7.2, "Critical
 *   values of the Student's t distribution" (3 decimals).
 * - Paired t-test: Student's sleep data (Cushny & Peebles 1905, analysed by "Student" 1908), as R
 *   documents `t.test(extra ~ group, data = sleep, paired = TRUE)`: t = −4.0621, df = 9,
 *   p = 0.002833, 95% CI −2.4598858 … −0.7001142 (group 1 − group 2; we take group 2 − group 1).
 * - Holm: the four-hypothesis example of Wikipedia's "Holm–Bonferroni method" (p = 0.01, 0.04,
 *   0.03, 0.005 at α = 0.05: H1 and H4 rejected), adjusted as R's `p.adjust(p, "holm")`:
 *   0.03, 0.06, 0.06, 0.02.
 * - TOST: at a margin equal to t(0.95, 4) · se the one-sided p-values are exactly 0.05 (the
 *   NIST table again), and TOST rejects exactly when the 90% interval lies inside the margin
 *   (Schuirmann 1987).
 * - Least squares: x = 1…5, y = 2, 4, 5, 4, 5 has slope 0.6.
 */
import { equal, ok, throws } from "node:assert/strict";
import {
  holm,
  judgeClaim,
  judgeComparisons,
  olsSlope,
  pairedTTest,
  regularizedBeta,
  studentTCdf,
  studentTQuantile,
  tost,
} from "../../lib/report/stats/mod.ts";

const near = (a: number, b: number, tol: number, what: string) =>
  ok(Math.abs(a - b) <= tol, `${what}: ${a} is not within ${tol} of ${b}`);

Deno.test("studentTQuantile() matches the NIST table of t critical values", () => {
  const table: [number, number, number][] = [
    [0.975, 1, 12.706],
    [0.975, 2, 4.303],
    [0.975, 4, 2.776],
    [0.975, 5, 2.571],
    [0.975, 9, 2.262],
    [0.975, 10, 2.228],
    [0.975, 30, 2.042],
    [0.95, 4, 2.132],
    [0.95, 10, 1.812],
    [0.995, 9, 3.250],
    [0.99, 20, 2.528],
    [0.95, 2, 2.920],
    [0.99, 2, 6.965],
    [0.995, 2, 9.925],
    [0.95, 3, 2.353],
    [0.975, 3, 3.182],
    [0.99, 3, 4.541],
    [0.995, 3, 5.841],
    [0.95, 29, 1.699],
    [0.975, 29, 2.045],
    [0.99, 29, 2.462],
    [0.995, 29, 2.756],
    [0.95, 100, 1.660],
    [0.975, 100, 1.984],
    [0.99, 100, 2.364],
    [0.995, 100, 2.626],
  ];
  for (const [p, df, t] of table) {
    near(studentTQuantile(p, df), t, 5e-4, `t(${p}, ${df})`);
    near(studentTQuantile(1 - p, df), -t, 5e-4, `t(${1 - p}, ${df})`);
    near(studentTCdf(t, df), p, 2e-4, `F(${t}; ${df})`);
  }
  // df = 1 is the Cauchy distribution: F(t) = 1/2 + atan(t)/π.
  for (const t of [-3, -0.5, 0.25, 2, 40]) {
    near(studentTCdf(t, 1), 0.5 + Math.atan(t) / Math.PI, 1e-12, `Cauchy F(${t})`);
  }
  // df = 2 and df = 3 have closed forms (e.g. Johnson, Kotz & Balakrishnan, ch. 28):
  // F₂(t) = 1/2 + t / (2√(2 + t²)), with quantile (2p − 1) / √(2p(1 − p));
  // F₃(t) = 1/2 + (t / (√3 (1 + t²/3)) + atan(t/√3)) / π.
  const f2 = (t: number) => 0.5 + t / (2 * Math.sqrt(2 + t * t));
  const f3 = (t: number) =>
    0.5 + (t / (Math.sqrt(3) * (1 + t * t / 3)) + Math.atan(t / Math.sqrt(3))) / Math.PI;
  for (const t of [-40, -7.5, -2, -0.3, 0.1, 1, 2.5, 9, 60]) {
    near(studentTCdf(t, 2), f2(t), 1e-13, `F₂(${t})`);
    near(studentTCdf(t, 3), f3(t), 1e-13, `F₃(${t})`);
  }
  for (const p of [0.001, 0.1, 0.3, 0.75, 0.95, 0.9999]) {
    near(studentTQuantile(p, 2), (2 * p - 1) / Math.sqrt(2 * p * (1 - p)), 1e-9, `t₂(${p})`);
  }
  // Large df: the normal distribution (Φ(1.959964) = 0.975).
  near(studentTCdf(1.959963984540054, 1e7), 0.975, 1e-7, "F(1.96; 1e7)");
  near(regularizedBeta(0.3, 2, 3), 0.3483, 1e-12, "I_0.3(2, 3) = 0.3483 (polynomial form)");
  throws(() => studentTQuantile(1, 3), RangeError);
  throws(() => studentTCdf(1, 0), RangeError);
});

Deno.test("pairedTTest() reproduces Student's sleep data", () => {
  const d = [1.2, 2.4, 1.3, 1.3, 0, 1, 1.8, 0.8, 4.6, 1.4];
  const r = pairedTTest(d);
  equal(r.n, 10);
  equal(r.df, 9);
  near(r.mean, 1.58, 1e-12, "mean");
  near(r.t!, 4.0621, 5e-5, "t");
  near(r.p!, 0.002833, 5e-7, "p");
  near(r.interval![0], 0.7001142, 5e-7, "lower");
  near(r.interval![1], 2.4598858, 5e-7, "upper");
  // At n = 5 the 95% factor is 2.776 (not the 2 of mean ± 2·se).
  const five = pairedTTest([1, 2, 3, 4, 5]);
  near((five.interval![1] - five.mean) / five.se!, 2.776, 5e-4, "factor at n = 5");
  equal(pairedTTest([3]).p, null, "one repeat: no test");
  equal(pairedTTest([3]).interval, null);
});

Deno.test("pairedTTest() zero variance falls back to the exact sign test", () => {
  const same = pairedTTest([200, 200, 200, 200, 200]);
  equal(same.zeroVariance, true);
  equal(same.p, 0.0625);
  equal(same.interval!.join(), "200,200");
  equal(pairedTTest([200, 200, 200, 200, 200, 200]).p, 0.03125);
  equal(pairedTTest([0, 0, 0]).p, 1);
});

Deno.test("holm() reproduces the textbook example and is monotone", () => {
  equal(holm([0.01, 0.04, 0.03, 0.005]).join(), "0.03,0.06,0.06,0.02");
  // Rejected at 0.05: H1 and H4, as the example says.
  equal(holm([0.01, 0.04, 0.03, 0.005]).map((p) => p! < 0.05).join(), "true,false,false,true");
  equal(holm([0.02, null, 0.04]).join(), "0.04,,0.04", "null entries are not counted in m");
  equal(holm([0.6, 0.7]).join(), "1,1", "capped at 1");
  throws(() => holm([1.5]), RangeError);
});

Deno.test("tost() one-sided p-values are 0.05 at the tabled t(0.95, 4) margin", () => {
  const d = [-2, -1, 0, 1, 2]; // mean 0, sd √2.5, se √0.5
  const se = Math.sqrt(0.5);
  const at = tost(d, 2.132 * se);
  near(at.pLower!, 0.05, 2e-4, "lower");
  near(at.pUpper!, 0.05, 2e-4, "upper");
  near(at.interval![1], 2.132 * se, 5e-4, "90% interval = ±t(0.95, 4)·se");
  ok(tost(d, 2.2 * se).p! < 0.05, "interval inside the margin: equivalent");
  ok(tost(d, 2.0 * se).p! > 0.05, "interval beyond the margin: not shown equivalent");
  // Schuirmann: p < 0.05 exactly when the 90% interval lies inside ±δ.
  for (const margin of [0.5, 1, 1.5, 1.6, 2, 3]) {
    for (const shift of [0, 0.3, 1]) {
      const r = tost(d.map((x) => x / 2 + shift), margin);
      const inside = r.interval![0] > -margin && r.interval![1] < margin;
      equal(r.p! < 0.05, inside, `margin ${margin}, shift ${shift}`);
    }
  }
  // Far outside the margin: the minimal-effect test rejects "|μ| <= δ".
  ok(tost([3.1, 2.9, 3.0, 3.2, 2.8], 1).pOutside! < 0.001);
  // Zero variance: the one-sided sign test, p = 2^−n per side.
  equal(tost([0.2, 0.2, 0.2], 1).p, 0.125, "zero variance inside the margin");
  equal(tost([0.2, 0.2, 0.2], 1).pOutside, 1);
  equal(tost([1.5, 1.5, 1.5], 1).pOutside, 0.125, "zero variance outside the margin");
  equal(tost([1.5, 1.5, 1.5], 1).p, 1);
  equal(tost([-1, -1, -1, -1, -1], 1).p, 1, "on the margin: neither test rejects");
  equal(tost([-1, -1, -1, -1, -1], 1).pOutside, 1);
  equal(tost([0, 0, 0, 0, 0], 1).p, 0.03125);
  throws(() => tost(d, 0), RangeError);
});

Deno.test("tost() worked example at n = 3, against the closed-form F₂", () => {
  // d = 0, 1, 2: mean 1, sd 1, se 1/√3, df 2; margin 1.5.
  // Lower: t = (1 + 1.5)·√3 = 4.3301, p = 1 − F₂(4.3301) = 0.02471.
  // Upper: t = (1 − 1.5)·√3 = −0.8660, p = F₂(−0.8660) = 0.23888. TOST p = 0.23888 (not shown).
  // 90% interval: 1 ± t₂(0.95)/√3 = 1 ± 2.919986/√3 = [−0.68585, 2.68585].
  const f2 = (t: number) => 0.5 + t / (2 * Math.sqrt(2 + t * t));
  const r = tost([0, 1, 2], 1.5);
  near(r.pLower!, 1 - f2(2.5 * Math.sqrt(3)), 1e-12, "lower");
  near(r.pLower!, 0.02471, 1e-5, "lower, 4 digits");
  near(r.pUpper!, f2(-0.5 * Math.sqrt(3)), 1e-12, "upper");
  near(r.pUpper!, 0.23888, 1e-5, "upper, 4 digits");
  equal(r.p, r.pUpper);
  near(r.pOutside!, 1 - r.pUpper!, 1e-12, "outside-margin p: the upper side's complement");
  near(r.interval![0], 1 - 2.919986 / Math.sqrt(3), 1e-6, "90% lower");
  near(r.interval![1], 1 + 2.919986 / Math.sqrt(3), 1e-6, "90% upper");
  // Mirrored data mirror the two one-sided tests.
  const m = tost([0, -1, -2], 1.5);
  near(m.pUpper!, r.pLower!, 1e-12, "mirror upper");
  near(m.pLower!, r.pUpper!, 1e-12, "mirror lower");
});

Deno.test("equal differences up to rounding take the sign-test rule, not a t-test on noise", () => {
  // The same 101-image difference on a 10,000-image test set in every repeat, as pp.
  const a = [0.9812, 0.9711, 0.9655, 0.9788, 0.9701];
  const d = a.map((x) => 100 * x - 100 * (x - 0.0101));
  ok(new Set(d).size > 1, "the rounded differences are not bit-identical");
  const r = pairedTTest(d);
  equal(r.zeroVariance, true);
  equal(r.p, 0.0625);
  near(r.mean, 1.01, 1e-12, "mean");
  const tiny = pairedTTest([1e-15, -1e-15, 0]);
  equal(tiny.zeroVariance, true, "rounding around 0 is 0");
  equal(tiny.p, 1);
  equal(pairedTTest([1, 1.0001, 1, 1, 1]).zeroVariance, false, "a real spread is kept");
  equal(tost(d.map((x) => x - 1.01), 1).p, 0.03125, "TOST reads the same rule");
  // n = 2 equal repeats show neither a difference nor an equivalence.
  const eq2 = judgeComparisons([
    { label: "two", unit: "pp", kind: "equivalent", margin: 1, diffs: [0, 0] },
  ])[0]!;
  equal(eq2.verdict, "inconclusive");
  equal(eq2.p, 0.25);
  const eq5 = judgeComparisons([
    { label: "five", unit: "pp", kind: "equivalent", margin: 1, diffs: [0.2, 0.2, 0.2, 0.2, 0.2] },
  ])[0]!;
  equal(eq5.verdict, "holds", "alone, at n = 5: p = 2^−5 = 0.03125");
});

Deno.test("non-finite differences are refused with the comparison named", () => {
  for (const bad of [NaN, Infinity, -Infinity]) {
    throws(
      () =>
        judgeComparisons([{ label: "MNIST, A − B", unit: "pp", kind: "greater", diffs: [1, bad] }]),
      /Invalid comparison "MNIST, A − B": expected finite differences, got .* at repeat position 1/,
    );
    throws(() => pairedTTest([bad, 1, 2]), /expected finite numbers/);
    throws(() => tost([1, bad], 1), /expected finite numbers/);
  }
});

Deno.test("olsSlope() gives the textbook slope and refuses one distinct x", () => {
  near(olsSlope([1, 2, 3, 4, 5], [2, 4, 5, 4, 5]), 0.6, 1e-12, "slope");
  near(olsSlope([1, 2, 3], [5, 5, 5]), 0, 1e-12, "flat");
  throws(() => olsSlope([2, 2], [1, 3]), RangeError);
  throws(() => olsSlope([1, 2], [1]), RangeError);
});

Deno.test("judgeComparisons(): greater holds, does not hold, inconclusive; n = 1 never decides", () => {
  const greater = (diffs: number[]) =>
    judgeComparisons([{ label: "A − B", unit: "pp", kind: "greater", diffs }])[0]!;
  equal(greater([1.0, 1.2, 0.9, 1.1, 1.3]).verdict, "holds");
  equal(greater([-1.0, -1.2, -0.9, -1.1, -1.3]).verdict, "does not hold");
  equal(greater([2, -1.5, 1, -0.5, 0.3]).verdict, "inconclusive");
  equal(greater([25]).verdict, "inconclusive", "one repeat, however large");
  equal(greater([25]).reason, "one repeat: no spread, no test");
  equal(greater([]).verdict, "inconclusive");
  equal(greater([1, 1, 1, 1, 1]).verdict, "inconclusive", "sign test at n = 5: p = 0.0625");
  equal(greater([1, 1, 1, 1, 1, 1]).verdict, "holds", "sign test at n = 6: p = 0.03125");
});

Deno.test("judgeComparisons(): Holm can turn a lone significant comparison inconclusive", () => {
  // p ≈ 0.02 alone; with four more comparisons at p = 1 its Holm p is ≈ 0.1.
  const d = [0.5, 1.5, 1.0, 0.2, 1.9];
  const alone = judgeComparisons([{ label: "x", unit: "pp", kind: "greater", diffs: d }])[0]!;
  ok(alone.p! < 0.05);
  equal(alone.verdict, "holds");
  const noise = [1, -1, 0.5, -0.5, 0];
  const family = judgeComparisons([
    { label: "x", unit: "pp", kind: "greater", diffs: d },
    ...[1, 2, 3, 4].map((i) => ({
      label: `n${i}`,
      unit: "pp",
      kind: "greater" as const,
      diffs: noise,
    })),
  ]);
  near(family[0]!.p_adjusted!, 5 * alone.p!, 1e-12, "Holm multiplies the smallest p by m");
  equal(family[0]!.verdict, "inconclusive");
});

Deno.test("judgeComparisons(): contradictions are Holm-adjusted too", () => {
  // A reversed difference with p ≈ 0.02 alone does not hold; among four noise comparisons its
  // Holm p is ≈ 0.1: inconclusive. The same for an equivalence whose difference lies outside.
  const down = [-0.5, -1.5, -1.0, -0.2, -1.9];
  const noise = [1, -1, 0.5, -0.5, 0];
  const greater = (diffs: number[], label: string) => ({
    label,
    unit: "pp",
    kind: "greater" as const,
    diffs,
  });
  equal(judgeComparisons([greater(down, "x")])[0]!.verdict, "does not hold");
  const family = judgeComparisons([
    greater(down, "x"),
    ...[1, 2, 3, 4].map((i) => greater(noise, `n${i}`)),
  ]);
  equal(family[0]!.verdict, "inconclusive");
  const outside = [1.3, 2.7, 2.1, 1.1, 3.0]; // outside ±1, p ≈ 0.025 alone
  const eq = (diffs: number[], label: string) => ({
    label,
    unit: "pp",
    kind: "equivalent" as const,
    margin: 1,
    diffs,
  });
  const alone = judgeComparisons([eq(outside, "y")])[0]!;
  equal(alone.verdict, "does not hold");
  ok(alone.tost!.p_outside_adjusted! > 0.01, `${alone.tost!.p_outside_adjusted}`);
  const many = judgeComparisons([eq(outside, "y"), ...[1, 2, 3, 4].map((i) => eq(noise, `e${i}`))]);
  near(many[0]!.tost!.p_outside_adjusted!, 5 * alone.tost!.p_outside_adjusted!, 1e-12, "× m");
  equal(many[0]!.verdict, "inconclusive");
});

Deno.test("judgeComparisons(): equivalence holds inside the margin, does not hold outside", () => {
  const eq = (diffs: number[]) =>
    judgeComparisons([{ label: "A ≈ B", unit: "pp", kind: "equivalent", diffs, margin: 1 }])[0]!;
  const inside = eq([0.1, -0.2, 0.05, 0.0, 0.1]);
  equal(inside.verdict, "holds");
  equal(inside.tost!.margin, 1);
  ok(inside.tost!.interval![0] > -1 && inside.tost!.interval![1] < 1);
  equal(eq([3.1, 2.9, 3.0, 3.2, 2.8]).verdict, "does not hold");
  equal(eq([0.5, 2.5, -1, 1.5, 0.2]).verdict, "inconclusive");
  equal(eq([0.1]).verdict, "inconclusive");
  throws(
    () => judgeComparisons([{ label: "x", unit: "pp", kind: "equivalent", diffs: [1, 2] }]),
    /needs a margin/,
  );
});

Deno.test("judgeClaim(): AND over the comparisons, with the deciding one named", () => {
  const c = (diffs: number[], label: string) => ({
    label,
    unit: "pp",
    kind: "greater" as const,
    diffs,
  });
  const up = [1.0, 1.2, 0.9, 1.1, 1.3];
  const down = up.map((x) => -x);
  const noisy = [2, -1.5, 1, -0.5, 0.3];
  equal(judgeClaim(judgeComparisons([c(up, "a"), c(up, "b")])).verdict, "holds");
  const against = judgeClaim(judgeComparisons([c(up, "a"), c(down, "b"), c(noisy, "c")]));
  equal(against.verdict, "does not hold");
  equal(against.deciding, 1);
  const open = judgeClaim(judgeComparisons([c(up, "a"), c(noisy, "c")]));
  equal(open.verdict, "inconclusive");
  equal(open.deciding, 1);
  ok(open.reason.includes("1 of 2"));
  const partial = judgeClaim(judgeComparisons([c([], "none"), c([9], "one"), c(noisy, "five")]));
  equal(partial.deciding, 2, "an undecided comparison with data is named before one without");
  const one = judgeClaim(judgeComparisons([c([9], "a"), c([9], "b")]));
  equal(one.verdict, "inconclusive");
  ok(one.reason.includes("n = 1"));
  equal(judgeClaim([]).reason, "no data");
});
