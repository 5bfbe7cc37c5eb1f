/**
 * The thesis's claims (its Results and Discussion) checked against our data: each claim is a
 * set of paired comparisons over repeats, each comparison gets a verdict by the rules below, and
 * a claim holds only when every comparison it makes holds.
 *
 * ## Verdict rules
 *
 * A comparison has per-repeat differences d₁…dₙ, paired by repeat index (repeats with the same
 * index share their random seed). m is their mean, s their sample standard deviation, and
 * se = s/√n; the interval is [m − 2·se, m + 2·se] (about 95%).
 *
 * - **"A beats B"** (d = A − B): with n ≥ 2, *holds* when the interval lies above 0 and
 *   m ≥ the minimum effect; *does not hold* when the interval lies below the minimum effect
 *   (B is better, or A's edge is too small to matter); else *inconclusive*. With n = 1 there is
 *   no spread: *holds* when d ≥ the large effect, *does not hold* when d ≤ −large, else
 *   *inconclusive*.
 * - **"A is close to B"** (equivalence, within δ): with n ≥ 2, *holds* when |m| + 2·se ≤ δ,
 *   *does not hold* when |m| − 2·se > δ, else *inconclusive*. With n = 1: *does not hold* when
 *   |d| ≥ max(δ, large), else *inconclusive* (one run cannot show that two things are equal).
 * - **No data** (a series or dataset missing): *inconclusive*.
 * - **A claim** is the AND of its comparisons: *does not hold* if any does not hold, *holds* if
 *   all hold, else *inconclusive*. Its effect and spread are those of the deciding comparison: the
 *   one with the smallest effect among those that gave the claim's verdict.
 *
 * Accuracy effects are in percentage points: minimum effect 0.2 pp, large effect 5 pp, δ = 1 pp
 * ({@linkcode DEFAULT_THRESHOLDS}). "Large" is set by what one run can show: in the `quick`
 * profile (200–1,000 queries) two seeds of the same configuration differ by 10 points or more, so
 * a single run decides only beyond 5 points. Query effects: minimum 1 query, large 1,000 (one
 * thesis batch).
 * Spread is s, the standard deviation of the per-repeat differences (`null` with one repeat).
 *
 * @module
 */

import { isThesisStop, rowAt, summarize } from "./aggregate.ts";
import type { Results, RunResult } from "./results.ts";
import { datasetLabel, seriesLabel } from "./results.ts";

/** A claim's or comparison's verdict. */
export type Verdict = "holds" | "does not hold" | "inconclusive";

/** One row of the claims table (and of `claims.json`). */
export interface ClaimResult {
  /** Stable id, e.g. `more_clusters_seed_better`. */
  id: string;
  /** The claim as the thesis states it. */
  claim: string;
  verdict: Verdict;
  /** Effect of the deciding comparison (see the module doc), in `unit`; `null` without data. */
  effect: number | null;
  /** Standard deviation over repeats of that effect; `null` with fewer than two repeats. */
  spread: number | null;
  /** `pp` (accuracy percentage points) or `queries`. */
  unit: string;
  /** Every comparison made, with its numbers and verdict. */
  evidence: string;
}

/** Thresholds of the verdict rules, in the comparison's unit. */
export interface Thresholds {
  /** Smallest effect that counts as "beats". */
  minEffect: number;
  /** Effect large enough to decide from one repeat. */
  largeEffect: number;
  /** Largest gap that counts as "close". */
  closeWithin: number;
}

/** Thresholds for accuracy (pp) and queries. */
export const DEFAULT_THRESHOLDS: { accuracy: Thresholds; queries: Thresholds } = {
  accuracy: { minEffect: 0.2, largeEffect: 5, closeWithin: 1 },
  queries: { minEffect: 1, largeEffect: 1000, closeWithin: 0 },
};

/** A judged comparison. */
export interface Judgement {
  verdict: Verdict;
  effect: number | null;
  spread: number | null;
  n: number;
}

/**
 * Verdict of "A beats B" from per-repeat differences A − B (rules in the module doc).
 *
 * @example Usage
 * ```ts
 * import { judgeGreater, DEFAULT_THRESHOLDS } from "./claims.ts";
 * import { equal } from "node:assert/strict";
 * const t = DEFAULT_THRESHOLDS.accuracy;
 * equal(judgeGreater([3.1, 2.9, 3.4], t).verdict, "holds");
 * equal(judgeGreater([0.5], t).verdict, "inconclusive");
 * equal(judgeGreater([-6], t).verdict, "does not hold");
 * ```
 */
export function judgeGreater(diffs: readonly number[], t: Thresholds): Judgement {
  const n = diffs.length;
  if (n === 0) return { verdict: "inconclusive", effect: null, spread: null, n };
  const s = summarize(diffs);
  if (n === 1) {
    const verdict: Verdict = s.mean >= t.largeEffect
      ? "holds"
      : s.mean <= -t.largeEffect
      ? "does not hold"
      : "inconclusive";
    return { verdict, effect: s.mean, spread: null, n };
  }
  const se = s.sd! / Math.sqrt(n);
  const lo = s.mean - 2 * se;
  const hi = s.mean + 2 * se;
  const verdict: Verdict = lo > 0 && s.mean >= t.minEffect
    ? "holds"
    : hi < t.minEffect
    ? "does not hold"
    : "inconclusive";
  return { verdict, effect: s.mean, spread: s.sd, n };
}

/**
 * Verdict of "A is close to B" (within `t.closeWithin`) from per-repeat differences A − B.
 *
 * @example Usage
 * ```ts
 * import { judgeClose, DEFAULT_THRESHOLDS } from "./claims.ts";
 * import { equal } from "node:assert/strict";
 * const t = DEFAULT_THRESHOLDS.accuracy;
 * equal(judgeClose([0.1, -0.2, 0.05], t).verdict, "holds");
 * equal(judgeClose([0.1], t).verdict, "inconclusive");
 * ```
 */
export function judgeClose(diffs: readonly number[], t: Thresholds): Judgement {
  const n = diffs.length;
  if (n === 0) return { verdict: "inconclusive", effect: null, spread: null, n };
  const s = summarize(diffs);
  const gap = Math.abs(s.mean);
  if (n === 1) {
    const verdict: Verdict = gap >= Math.max(t.closeWithin, t.largeEffect)
      ? "does not hold"
      : "inconclusive";
    return { verdict, effect: s.mean, spread: null, n };
  }
  const se = s.sd! / Math.sqrt(n);
  const verdict: Verdict = gap + 2 * se <= t.closeWithin
    ? "holds"
    : gap - 2 * se > t.closeWithin
    ? "does not hold"
    : "inconclusive";
  return { verdict, effect: s.mean, spread: s.sd, n };
}

/** One comparison inside a claim. */
interface Comparison extends Judgement {
  label: string;
  unit: string;
}

/** Per-repeat values of one configuration. */
type ByRepeat = Map<number, number>;

/** Differences a − b over the repeats both have, by increasing repeat. */
export function pairedDiffs(a: ByRepeat, b: ByRepeat): number[] {
  return [...a.keys()].filter((r) => b.has(r)).sort((x, y) => x - y).map((r) =>
    a.get(r)! - b.get(r)!
  );
}

function combine(
  id: string,
  claim: string,
  comparisons: readonly Comparison[],
  note = "",
): ClaimResult {
  const evidence = comparisons.map(describe).join("; ") || "no data";
  const withNote = note ? `${evidence}. ${note}` : evidence;
  if (comparisons.length === 0) {
    return { id, claim, verdict: "inconclusive", effect: null, spread: null, unit: "pp", evidence };
  }
  const verdict: Verdict = comparisons.some((c) => c.verdict === "does not hold")
    ? "does not hold"
    : comparisons.every((c) => c.verdict === "holds")
    ? "holds"
    : "inconclusive";
  const withData = comparisons.filter((c) => c.effect !== null);
  const same = withData.filter((c) => c.verdict === verdict);
  // Inconclusive because data is missing: report the weakest comparison that has data.
  const candidates = same.length > 0 ? same : withData.length > 0 ? withData : comparisons;
  const deciding = [...candidates].sort((a, b) =>
    (a.effect === null ? Infinity : strength(a)) - (b.effect === null ? Infinity : strength(b))
  )[0]!;
  return {
    id,
    claim,
    verdict,
    effect: deciding.effect === null ? null : round(deciding.effect),
    spread: deciding.spread === null ? null : round(deciding.spread),
    unit: deciding.unit,
    evidence: withNote,
  };
}

/** How strongly a comparison supports its claim: its effect, or −|gap| for closeness labels. */
function strength(c: Comparison): number {
  return c.label.includes(" ≈ ") ? -Math.abs(c.effect!) : c.effect!;
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

function fmt(x: number, unit: string): string {
  const v = unit === "queries" ? x.toFixed(0) : x.toFixed(2);
  return `${x > 0 ? "+" : ""}${v} ${unit}`;
}

function describe(c: Comparison): string {
  if (c.effect === null) return `${c.label}: no data`;
  const sd = c.spread === null ? "" : `, sd ${c.spread.toFixed(c.unit === "queries" ? 0 : 2)}`;
  return `${c.label}: ${fmt(c.effect, c.unit)} (n=${c.n}${sd}) ${c.verdict}`;
}

/** Options of {@linkcode evaluateClaims}. */
export interface ClaimOptions {
  /** Budgets at which strategies are compared; default every query count all select runs of the dataset share, seed round excluded. */
  budgets?: readonly number[];
  /** The stopping rule of the alpha claim; default `batch-entropy`. */
  stopRule?: string;
  thresholds?: { accuracy: Thresholds; queries: Thresholds };
}

const FASHION = ["fashion-mnist", "fashion_mnist", "fmnist"];

/**
 * The claims table: every claim the thesis makes in its Results and Discussion that our
 * experiments can test, with a verdict from the data.
 */
export function evaluateClaims(results: Results, options: ClaimOptions = {}): ClaimResult[] {
  const t = options.thresholds ?? DEFAULT_THRESHOLDS;
  const acc = t.accuracy;
  const datasets = [...new Set(results.runs.map((r) => r.dataset))].sort();
  const selectScore = (dataset: string) => {
    const runs = results.runs.filter((r) => r.experiment === "select" && r.dataset === dataset);
    const budgets = options.budgets ?? commonQueries(runs);
    const by = new Map<string, ByRepeat>();
    for (const run of runs) {
      const vals = budgets.map((b) => rowAt(run.trace, b)?.test_accuracy).filter((v) =>
        v !== undefined
      ) as number[];
      if (vals.length === 0) continue;
      const m = by.get(run.series) ?? new Map();
      m.set(run.repeat, 100 * summarize(vals).mean);
      by.set(run.series, m);
    }
    return { by, budgets };
  };
  // One paired comparison of two series over repeats: "a beats b" or "a is close to b".
  const compare = (
    dataset: string,
    by: Map<string, ByRepeat>,
    a: string,
    b: string,
    kind: "greater" | "close",
  ): Comparison => {
    const da = by.get(a), db = by.get(b);
    const diffs = da && db ? pairedDiffs(da, db) : [];
    const op = kind === "greater" ? "−" : "≈";
    return {
      label: `${datasetLabel(dataset)}, ${seriesLabel(a)} ${op} ${seriesLabel(b)}`,
      unit: "pp",
      ...(kind === "greater" ? judgeGreater(diffs, acc) : judgeClose(diffs, acc)),
    };
  };
  const greater = (dataset: string, by: Map<string, ByRepeat>, a: string, b: string) =>
    compare(dataset, by, a, b, "greater");
  const close = (dataset: string, by: Map<string, ByRepeat>, a: string, b: string) =>
    compare(dataset, by, a, b, "close");
  const claims: ClaimResult[] = [];
  const strategyNote = (budgets: Map<string, readonly number[]>) => {
    const parts = [...budgets].map(([d, b]) =>
      `${datasetLabel(d)} at ${b.length > 6 ? `${b.length} budgets` : b.join("/")} queries`
    );
    return parts.length ? `Accuracy averaged over budgets: ${parts.join(", ")}` : "";
  };

  // Seeding (Fig. 2).
  const seeding = new Map<string, Map<string, ByRepeat>>();
  for (const d of datasets) {
    const by = new Map<string, Map<number, number[]>>();
    for (const run of results.runs) {
      if (run.experiment !== "seeding" || run.dataset !== d) continue;
      const row = run.trace.find((r) => r.round === 0) ?? run.trace[0];
      if (!row) continue;
      const m = by.get(run.series) ?? new Map<number, number[]>();
      const list = m.get(run.repeat) ?? [];
      list.push(100 * row.test_accuracy);
      m.set(run.repeat, list);
      by.set(run.series, m);
    }
    const means = new Map<string, ByRepeat>();
    for (const [s, m] of by) {
      means.set(s, new Map([...m].map(([r, v]) => [r, summarize(v).mean])));
    }
    seeding.set(d, means);
  }
  const clusterNs = (by: Map<string, ByRepeat>) =>
    [...by.keys()].map((s) => /^cluster-(\d+)$/.exec(s)).filter((m) => m !== null).map((m) =>
      Number(m![1])
    ).sort((a, b) => a - b);
  {
    const comps: Comparison[] = [];
    for (const [d, by] of seeding) {
      const ns = clusterNs(by);
      for (let i = 1; i < ns.length; i++) {
        comps.push(greater(d, by, `cluster-${ns[i]}`, `cluster-${ns[i - 1]}`));
      }
    }
    claims.push(combine(
      "more_clusters_seed_better",
      "Cluster seeding with more clusters gives higher accuracy after seeding (Fig. 2)",
      comps,
      "Accuracy after seeding, averaged over seed sizes",
    ));
  }
  {
    const comps: Comparison[] = [];
    // The claim is about both datasets: a missing one leaves it inconclusive.
    if (!seeding.has("mnist")) seeding.set("mnist", new Map());
    if (!FASHION.some((d) => seeding.has(d))) seeding.set("fashion-mnist", new Map());
    for (const [d, by] of [...seeding].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const ns = clusterNs(by);
      const mean: ByRepeat = new Map();
      const first = ns.length > 0 ? by.get(`cluster-${ns[0]}`)! : new Map<number, number>();
      for (const r of first.keys()) {
        const vals = ns.map((n) => by.get(`cluster-${n}`)!.get(r));
        if (vals.every((v) => v !== undefined)) mean.set(r, summarize(vals as number[]).mean);
      }
      const ext = new Map(by);
      ext.set("cluster", mean);
      if (d === "mnist") comps.push(greater(d, ext, "random", "cluster"));
      if (FASHION.includes(d)) comps.push(greater(d, ext, "cluster", "random"));
    }
    claims.push(combine(
      "random_seeding_beats_cluster_on_mnist_only",
      "Random seeding beats cluster seeding on MNIST, and cluster seeding beats random on Fashion-MNIST (Fig. 2)",
      comps,
      "Cluster: mean over N; accuracy after seeding, averaged over seed sizes",
    ));
  }

  // Strategies (Figs. 3–5).
  const scores = new Map<string, Map<string, ByRepeat>>();
  const budgetsUsed = new Map<string, readonly number[]>();
  for (const d of datasets) {
    const { by, budgets } = selectScore(d);
    if (by.size === 0) continue;
    scores.set(d, by);
    budgetsUsed.set(d, budgets);
  }
  const note = strategyNote(budgetsUsed);
  const each = (f: (d: string, by: Map<string, ByRepeat>) => Comparison[]) =>
    [...scores].flatMap(([d, by]) => f(d, by));
  const single = ["random", "least_confidence", "margin", "entropy", "uniform", "clustering"];
  // Each strategy claim: id, statement, and the comparisons it needs per dataset.
  const strategyClaims: [string, string, (d: string, by: Map<string, ByRepeat>) => Comparison[]][] =
    [
      [
        "uncertainty_beats_random",
        "Every uncertainty strategy (least confidence, margin, entropy) beats random sampling (Fig. 3)",
        (d, by) =>
          ["least_confidence", "margin", "entropy"].map((s) => greater(d, by, s, "random")),
      ],
      [
        "uncertainty_strategies_similar",
        "The uncertainty strategies perform similarly: within 1 point of each other (Fig. 3)",
        (d, by) => [
          close(d, by, "least_confidence", "margin"),
          close(d, by, "least_confidence", "entropy"),
          close(d, by, "margin", "entropy"),
        ],
      ],
      [
        "uniform_clustering_beat_random",
        "Uniform and clustering both beat random sampling (Fig. 4)",
        (d, by) => [greater(d, by, "uniform", "random"), greater(d, by, "clustering", "random")],
      ],
      [
        "entropy_beats_uniform",
        "Entropy is slightly better than uniform (Fig. 4)",
        (d, by) => [greater(d, by, "entropy", "uniform")],
      ],
      [
        "clustering_beats_entropy_uniform",
        "Clustering beats both entropy and uniform (Fig. 4)",
        (d, by) => [
          greater(d, by, "clustering", "entropy"),
          greater(d, by, "clustering", "uniform"),
        ],
      ],
      [
        "entropy_clustering_best",
        "Entropy+clustering is the best strategy: it beats every other strategy (Fig. 5)",
        (d, by) =>
          [...by.keys()].filter((s) => s !== "entropy_clustering" && !s.includes(":")).sort()
            .map((s) => greater(d, by, "entropy_clustering", s)),
      ],
      [
        "entropy_uniform_close_second",
        "Entropy+uniform is close behind entropy+clustering (within 1 point) and beats every single strategy (Fig. 5)",
        (d, by) => [
          close(d, by, "entropy_uniform", "entropy_clustering"),
          ...single.map((s) => greater(d, by, "entropy_uniform", s)),
        ],
      ],
      [
        "triple_worse_than_pairs",
        "Entropy+clustering+uniform is worse than both entropy+clustering and entropy+uniform (Fig. 5)",
        (d, by) => [
          greater(d, by, "entropy_clustering", "entropy_clustering_uniform"),
          greater(d, by, "entropy_uniform", "entropy_clustering_uniform"),
        ],
      ],
    ];
  for (const [id, statement, compare] of strategyClaims) {
    claims.push(combine(id, statement, each(compare), note));
  }
  claims.push(selectionBeatsSeeding(results, datasets, acc));
  claims.push(seedSizeClaim(results, datasets, acc));
  claims.push(...stoppingClaims(results, options.stopRule ?? "batch-entropy", t));
  return claims;
}

/** Query counts present in every given run, seed round (round 0) excluded. */
export function commonQueries(runs: readonly RunResult[]): number[] {
  if (runs.length === 0) return [];
  let common: Set<number> | undefined;
  for (const run of runs) {
    const qs = new Set(run.trace.filter((r) => r.round > 0).map((r) => r.queries));
    common = common ? new Set([...common].filter((q) => qs.has(q))) : qs;
  }
  return [...common!].sort((a, b) => a - b);
}

function selectionBeatsSeeding(
  results: Results,
  datasets: readonly string[],
  t: Thresholds,
): ClaimResult {
  const comps: Comparison[] = [];
  for (const d of datasets) {
    const seeds = results.runs.filter((r) =>
      r.experiment === "seeding" && r.dataset === d && r.series === "random"
    );
    if (seeds.length === 0) continue;
    const size = Math.max(...seeds.map((r) => r.seed_size));
    const base: ByRepeat = new Map();
    for (const r of seeds) {
      if (r.seed_size !== size) continue;
      const row = r.trace.find((x) => x.round === 0) ?? r.trace[0];
      if (row) base.set(r.repeat, 100 * row.test_accuracy);
    }
    const strategies = [
      ...new Set(
        results.runs.filter((r) =>
          r.experiment === "select" && r.dataset === d && r.series !== "random" &&
          !r.series.includes(":")
        ).map((r) => r.series),
      ),
    ].sort();
    for (const s of strategies) {
      const at: ByRepeat = new Map();
      for (const r of results.runs) {
        if (r.experiment !== "select" || r.dataset !== d || r.series !== s) continue;
        const row = rowAt(r.trace, size);
        if (row && row.round > 0) at.set(r.repeat, 100 * row.test_accuracy);
      }
      comps.push({
        label: `${datasetLabel(d)}, ${seriesLabel(s)} at ${size} queries − random seed of ${size}`,
        unit: "pp",
        ...judgeGreater(pairedDiffs(at, base), t),
      });
    }
  }
  return combine(
    "selection_beats_seeding",
    "At the same number of queries, every selection strategy beats a seed alone (Figs. 2–5)",
    comps,
  );
}

function seedSizeClaim(
  results: Results,
  datasets: readonly string[],
  t: Thresholds,
): ClaimResult {
  const comps: Comparison[] = [];
  for (const d of datasets) {
    const runs = results.runs.filter((r) => r.experiment === "seed_size" && r.dataset === d);
    if (runs.length === 0) continue;
    const end = Math.min(...runs.map((r) => Math.max(...r.trace.map((x) => x.queries))));
    const byRepeat = new Map<number, number[]>();
    for (const r of runs) {
      const row = rowAt(r.trace, end);
      if (!row) continue;
      const list = byRepeat.get(r.repeat) ?? [];
      list.push(100 * row.test_accuracy);
      byRepeat.set(r.repeat, list);
    }
    const sizes = new Set(runs.map((r) => r.seed_size)).size;
    const ranges = [...byRepeat.keys()].sort((a, b) => a - b).filter((r) =>
      byRepeat.get(r)!.length === sizes && sizes > 1
    ).map((r) => {
      const s = summarize(byRepeat.get(r)!);
      return s.max - s.min;
    });
    comps.push({
      label: `${datasetLabel(d)}, max − min over ${sizes} seed sizes at ${end} queries ≈ 0`,
      unit: "pp",
      ...judgeClose(ranges, t),
    });
  }
  return combine(
    "seed_size_hardly_matters",
    "Seed size (1k–5k) hardly affects the final accuracy: within 1 point (Fig. 6)",
    comps,
  );
}

function stoppingClaims(
  results: Results,
  rule: string,
  t: { accuracy: Thresholds; queries: Thresholds },
): ClaimResult[] {
  const datasets = [...new Set(results.stops.map((s) => s.dataset))].sort();
  const order: Comparison[] = [];
  const near: Comparison[] = [];
  let censored = 0;
  for (const d of datasets) {
    const stops = results.stops.filter((s) => s.dataset === d && isThesisStop(s, rule));
    censored += stops.filter((s) => !s.stopped).length;
    const alphas = [...new Set(stops.map((s) => s.alpha))].sort((a, b) => a - b);
    const by = (alpha: number, f: (s: (typeof stops)[number]) => number): ByRepeat =>
      new Map(stops.filter((s) => s.alpha === alpha).map((s) => [s.repeat, f(s)]));
    if (alphas.length >= 2) {
      const lo = alphas[0]!, hi = alphas[alphas.length - 1]!;
      order.push({
        label: `${datasetLabel(d)}, queries at stop α=${lo} − α=${hi}`,
        unit: "queries",
        ...judgeGreater(pairedDiffs(by(lo, (s) => s.queries), by(hi, (s) => s.queries)), t.queries),
      });
      order.push({
        label: `${datasetLabel(d)}, accuracy at stop α=${lo} − α=${hi}`,
        unit: "pp",
        ...judgeGreater(
          pairedDiffs(by(lo, (s) => 100 * s.test_accuracy), by(hi, (s) => 100 * s.test_accuracy)),
          t.accuracy,
        ),
      });
    }
    const target = results.targets.find((x) => x.dataset === d);
    if (target) {
      for (const a of alphas) {
        const diffs = [...by(a, (s) => 100 * (s.test_accuracy - target.test_accuracy))]
          .sort(([x], [y]) => x - y).map(([, v]) => v);
        near.push({
          label: `${datasetLabel(d)}, accuracy at stop α=${a} − target ≈ 0`,
          unit: "pp",
          ...judgeClose(diffs, { ...t.accuracy, closeWithin: 2 }),
        });
      }
    }
  }
  const note = censored > 0
    ? `${censored} run(s) never met the rule; their numbers are the run's end`
    : "";
  return [
    combine(
      "higher_alpha_stops_earlier_lower_accuracy",
      "A higher alpha stops earlier (fewer queries) at a lower accuracy (Fig. 7)",
      order,
      note,
    ),
    combine(
      "stop_accuracy_near_full_data",
      "At every alpha the accuracy at the stop is close to (within 2 points of) a model trained on the whole dataset (Discussion)",
      near,
      note,
    ),
  ];
}
