/**
 * The verdict rules: how a claim's comparisons (each a list of per-repeat differences) become
 * *holds*, *does not hold* or *inconclusive*, each with its reason. {@linkcode VERDICT_RULES} is
 * the table the report prints; the code below is that table.
 *
 * Two families of tests per claim, each Holm-adjusted over the claim's m comparisons:
 * *supporting* (a "greater" comparison's two-sided paired t-test, an "equivalent" one's TOST) and
 * *contradicting* (the same t-test; for "equivalent", the minimal-effect test that the difference
 * lies outside the margin). Intervals are per comparison, not adjusted: 95% Student-t for
 * "greater", the 90% interval TOST reads for "equivalent".
 *
 * @module
 */

import { holm } from "./holm.ts";
import { pairedTTest } from "./paired.ts";
import { tost } from "./tost.ts";

/** A claim's or comparison's verdict. */
export type Verdict = "holds" | "does not hold" | "inconclusive";

/** Family-wise significance level of each claim. */
export const ALPHA = 0.05;

/** What a comparison claims about its differences d = A − B. */
export type ComparisonKind = "greater" | "equivalent";

/** One comparison to judge. */
export interface ComparisonInput {
  /** What is compared, e.g. `MNIST, Entropy − Random`. */
  label: string;
  /** Unit of the differences (`pp`, `queries`, `pp per 1k seed images`). */
  unit: string;
  /** `greater`: the claim is A > B; `equivalent`: |A − B| < margin. */
  kind: ComparisonKind;
  /** Per-repeat differences A − B, paired by repeat. */
  diffs: readonly number[];
  /** The equivalence margin δ (kind `equivalent`), in `unit`. */
  margin?: number;
}

/** The TOST numbers of an equivalence comparison. */
export interface TostResult {
  margin: number;
  p_lower: number | null;
  p_upper: number | null;
  /** The (1 − 2α) = 90% interval TOST reads. */
  interval: [number, number] | null;
  interval_level: number;
  /** Holm-adjusted p of "the difference lies outside the margin". */
  p_outside_adjusted: number | null;
}

/** One judged comparison (an entry of a claim's `comparisons`). */
export interface ComparisonResult {
  label: string;
  unit: string;
  kind: ComparisonKind;
  n: number;
  /** Mean difference; `null` without data. */
  effect: number | null;
  /** Standard deviation of the differences; `null` below two repeats. */
  sd: number | null;
  /** 95% Student-t interval of the mean difference (df = n − 1). */
  interval: [number, number] | null;
  interval_level: number;
  /** Unadjusted p of the supporting test (two-sided t; TOST for `equivalent`). */
  p: number | null;
  /** Holm-adjusted p of the supporting test within the claim. */
  p_adjusted: number | null;
  /** Equivalence only. */
  tost: TostResult | null;
  /** Every repeat gave the same difference: the sign-test rule (stats/paired.ts) was used. */
  zero_variance: boolean;
  verdict: Verdict;
  reason: string;
}

/** The rules as the report prints them: [verdict, when]. */
export const VERDICT_RULES: readonly { case: string; verdict: Verdict; when: string }[] = [
  {
    case: "any comparison",
    verdict: "inconclusive",
    when: "n = 0 (no data) or n = 1 (one repeat: no spread, no test), whatever the difference",
  },
  {
    case: "A beats B (d = A − B)",
    verdict: "holds",
    when: `Holm-adjusted two-sided paired t-test p < ${ALPHA} and mean d > 0`,
  },
  {
    case: "A beats B",
    verdict: "does not hold",
    when: `Holm-adjusted p < ${ALPHA} and mean d < 0 (B is better)`,
  },
  { case: "A beats B", verdict: "inconclusive", when: `adjusted p >= ${ALPHA}` },
  {
    case: "A ≈ B within δ",
    verdict: "holds",
    when: `Holm-adjusted TOST p < ${ALPHA} (the 90% interval lies inside ±δ)`,
  },
  {
    case: "A ≈ B within δ",
    verdict: "does not hold",
    when:
      `Holm-adjusted p < ${ALPHA} of the test that |d| > δ (the difference lies outside the margin)`,
  },
  { case: "A ≈ B within δ", verdict: "inconclusive", when: "neither test rejects" },
  {
    case: "every repeat gives the same d",
    verdict: "inconclusive",
    when:
      "unless the exact sign test decides: p = 2^(1−n) for d ≠ 0 (0.0625 at n = 5), p = 1 for d = 0; " +
      "for ≈, |d| < δ holds and |d| > δ does not",
  },
  {
    case: "a claim",
    verdict: "holds",
    when:
      "every comparison holds (Holm over the claim's comparisons keeps the family-wise error at 5%)",
  },
  { case: "a claim", verdict: "does not hold", when: "any comparison does not hold" },
  {
    case: "a claim",
    verdict: "inconclusive",
    when: "otherwise, with the undecided comparisons named",
  },
];

const fmtP = (p: number) => (p < 0.001 ? p.toExponential(1) : p.toFixed(3));

interface Prepared {
  input: ComparisonInput;
  n: number;
  supportP: number | null;
  contraP: number | null;
  base: Omit<ComparisonResult, "p_adjusted" | "verdict" | "reason">;
}

function prepare(input: ComparisonInput): Prepared {
  const n = input.diffs.length;
  if (n === 0) {
    return {
      input,
      n,
      supportP: null,
      contraP: null,
      base: {
        label: input.label,
        unit: input.unit,
        kind: input.kind,
        n,
        effect: null,
        sd: null,
        interval: null,
        interval_level: 0.95,
        p: null,
        tost: null,
        zero_variance: false,
      },
    };
  }
  const t = pairedTTest(input.diffs);
  const base = {
    label: input.label,
    unit: input.unit,
    kind: input.kind,
    n,
    effect: t.mean,
    sd: t.sd,
    interval: t.interval,
    interval_level: t.level,
    p: t.p,
    tost: null as TostResult | null,
    zero_variance: t.zeroVariance,
  };
  if (input.kind === "greater") return { input, n, supportP: t.p, contraP: t.p, base };
  const margin = input.margin;
  if (margin === undefined) {
    throw new TypeError(`Invalid comparison "${input.label}": an equivalence needs a margin`);
  }
  const e = tost(input.diffs, margin, ALPHA);
  base.p = e.p;
  base.tost = {
    margin,
    p_lower: e.pLower,
    p_upper: e.pUpper,
    interval: e.interval,
    interval_level: e.level,
    p_outside_adjusted: null,
  };
  return { input, n, supportP: e.p, contraP: e.pOutside, base };
}

function judgeOne(p: Prepared, adjS: number | null, adjC: number | null): ComparisonResult {
  const out = { ...p.base, p_adjusted: adjS };
  if (out.tost) out.tost = { ...out.tost, p_outside_adjusted: adjC };
  const say = (verdict: Verdict, reason: string): ComparisonResult => ({ ...out, verdict, reason });
  if (p.n === 0) return say("inconclusive", "no data");
  if (p.n === 1) return say("inconclusive", "one repeat: no spread, no test");
  const sign = p.base.zero_variance ? " (same difference in every repeat: sign test)" : "";
  const mean = p.base.effect!;
  if (p.input.kind === "greater") {
    if (adjS! < ALPHA && mean > 0) return say("holds", `p_adj = ${fmtP(adjS!)}${sign}`);
    if (adjC! < ALPHA && mean < 0) {
      return say("does not hold", `reversed, p_adj = ${fmtP(adjC!)}${sign}`);
    }
    return say("inconclusive", `p_adj = ${fmtP(adjS!)} >= ${ALPHA}${sign}`);
  }
  const margin = p.input.margin!;
  if (adjS! < ALPHA) return say("holds", `within ±${margin}, TOST p_adj = ${fmtP(adjS!)}`);
  if (adjC! < ALPHA) {
    return say("does not hold", `outside ±${margin}, p_adj = ${fmtP(adjC!)}`);
  }
  return say(
    "inconclusive",
    `TOST p_adj = ${fmtP(adjS!)}, outside-margin p_adj = ${fmtP(adjC!)}: neither < ${ALPHA}`,
  );
}

/**
 * Judges one claim's comparisons by {@linkcode VERDICT_RULES}: Holm within the claim, then each
 * comparison's verdict and reason.
 *
 * @example Usage
 * ```ts
 * import { judgeComparisons } from "./verdict.ts";
 * const [c] = judgeComparisons([
 *   { label: "A − B", unit: "pp", kind: "greater", diffs: [1.0, 1.2, 0.9, 1.1, 1.3] },
 * ]);
 * console.assert(c!.verdict === "holds");
 * ```
 */
export function judgeComparisons(inputs: readonly ComparisonInput[]): ComparisonResult[] {
  const prepared = inputs.map(prepare);
  // Only comparisons that have a test (n >= 2) count in Holm's m.
  const tested = (x: Prepared, v: number | null) => (x.n >= 2 ? v : null);
  const adjS = holm(prepared.map((x) => tested(x, x.supportP)));
  const adjC = holm(prepared.map((x) => tested(x, x.contraP)));
  return prepared.map((x, i) => judgeOne(x, adjS[i]!, adjC[i]!));
}

/** A claim's verdict from its judged comparisons, with the reason and the deciding comparison. */
export interface ClaimJudgement {
  verdict: Verdict;
  reason: string;
  /** Index of the deciding comparison (module doc of `claims.ts`), `null` when there are none. */
  deciding: number | null;
}

/**
 * The claim's verdict: does not hold if any comparison does not hold; holds if all hold; else
 * inconclusive. The deciding comparison: for "holds" the weakest (largest adjusted p); for "does
 * not hold" the strongest contradiction; for "inconclusive" the weakest undecided one.
 */
export function judgeClaim(comparisons: readonly ComparisonResult[]): ClaimJudgement {
  if (comparisons.length === 0) {
    return { verdict: "inconclusive", reason: "no data", deciding: null };
  }
  const idx = comparisons.map((c, i) => ({ c, i }));
  const pOf = (c: ComparisonResult) => c.p_adjusted ?? Infinity;
  const against = idx.filter(({ c }) => c.verdict === "does not hold");
  if (against.length > 0) {
    const best = against.sort((a, b) => contraP(a.c) - contraP(b.c) || a.i - b.i)[0]!;
    return {
      verdict: "does not hold",
      reason:
        `${against.length} of ${comparisons.length} comparison(s) contradict it; ${best.c.label}: ${best.c.reason}`,
      deciding: best.i,
    };
  }
  const open = idx.filter(({ c }) => c.verdict !== "holds");
  if (open.length === 0) {
    const weakest = idx.sort((a, b) => pOf(b.c) - pOf(a.c) || a.i - b.i)[0]!;
    return {
      verdict: "holds",
      reason:
        `all ${comparisons.length} comparison(s) hold; weakest ${weakest.c.label}: ${weakest.c.reason}`,
      deciding: weakest.i,
    };
  }
  // The weakest undecided comparison that has data; one without data only when none has any.
  const rank = (c: ComparisonResult) => (c.n >= 2 ? 0 : c.n === 1 ? 1 : 2);
  const weakest = open.sort((a, b) =>
    rank(a.c) - rank(b.c) || pOf(b.c) - pOf(a.c) || a.i - b.i
  )[0]!;
  const single = open.every(({ c }) => c.n <= 1);
  return {
    verdict: "inconclusive",
    reason: single && open.some(({ c }) => c.n === 1)
      ? "one repeat: no spread, no test (n = 1 is always inconclusive)"
      : `${open.length} of ${comparisons.length} comparison(s) undecided; ${weakest.c.label}: ${weakest.c.reason}`,
    deciding: weakest.i,
  };
}

function contraP(c: ComparisonResult): number {
  return (c.kind === "equivalent" ? c.tost?.p_outside_adjusted : c.p_adjusted) ?? Infinity;
}
