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
  equal(tost([0.2, 0.2, 0.2], 1).p, 0, "zero variance inside the margin");
  equal(tost([1.5, 1.5, 1.5], 1).pOutside, 0, "zero variance outside the margin");
  throws(() => tost(d, 0), RangeError);
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
