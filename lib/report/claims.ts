/**
 * The thesis's claims (its Results and Discussion) checked against our data. {@linkcode CLAIMS}
 * is a table: each entry states a claim and the comparisons it rests on (per-repeat differences,
 * paired by repeat index: repeats with the same index share their random seed); the verdict comes
 * from the rules of `stats/verdict.ts` ({@linkcode VERDICT_RULES}): paired t-tests with Student-t
 * intervals, Holm–Bonferroni within each claim, TOST for "similar / close / hardly affects"
 * claims with the margin the claim states, a per-repeat slope for seed size, and one repeat always
 * inconclusive.
 *
 * What is compared:
 * - strategies: accuracy (pp) averaged over the report's query budgets (`report.budgets`);
 * - seeding: accuracy after seeding averaged over seed sizes;
 * - seed size: per repeat, the least-squares slope of final accuracy on seed size, in pp per
 *   1,000 seed images, TOST against ±{@linkcode MARGINS}.seedRange pp over the range of seed
 *   sizes run ({@linkcode seedSlopeMargin}: ±0.25 pp per 1k over the thesis's 1k–5k);
 * - stopping: per adjacent pair of alphas, queries and accuracy at the stop (`report.stop_rule`,
 *   default `batch-entropy`: the thesis's rule in its log10 units); and accuracy at the stop
 *   against the target's accuracy on the same test images.
 *
 * Each claim carries n, the effect, interval and adjusted p (or TOST numbers) of its *deciding*
 * comparison (for "holds" the weakest, for "does not hold" the strongest contradiction, for
 * "inconclusive" the weakest undecided one), and every comparison it rests on.
 *
 * @module
 */

import { isThesisStop, rowAt, summarize } from "./aggregate.ts";
import type { Results, RunResult } from "./results.ts";
import { datasetLabel, seriesLabel } from "./results.ts";
import {
  type ComparisonInput,
  type ComparisonResult,
  judgeClaim,
  judgeComparisons,
  olsSlope,
  type TostResult,
  type Verdict,
  VERDICT_RULES,
} from "./stats/mod.ts";

export type { ComparisonResult, TostResult, Verdict };
export { VERDICT_RULES };

/**
 * Equivalence margins: our reading of the thesis's words, which give no number ("similar",
 * "closely behind", "does not have a significant effect", "rather close to"). Each claim's text
 * names its margin, and `claims.json` writes it into every equivalence.
 */
export const MARGINS = {
  /** "similar", "closely behind": ±1 pp. */
  accuracy: 1,
  /** "rather close to" a model trained on the whole dataset: ±2 pp. */
  fullData: 2,
  /** "all the seeding sizes have similar accuracy": ±1 pp over the range of seed sizes run. */
  seedRange: 1,
} as const;

/**
 * The seed-size slope margin in pp per 1,000 seed images: {@linkcode MARGINS}.seedRange spread
 * over the range of seed sizes run, so the claim means "the fitted accuracy moves by less than
 * 1 point across the sizes tested" in every profile (the thesis's 1k–5k: ±0.25 pp per 1k).
 *
 * @example Usage
 * ```ts
 * import { seedSlopeMargin } from "./claims.ts";
 * console.assert(seedSlopeMargin([1000, 2000, 3000, 4000, 5000]) === 0.25);
 * ```
 */
export function seedSlopeMargin(sizes: readonly number[]): number {
  const range = (Math.max(...sizes) - Math.min(...sizes)) / 1000;
  if (!(range > 0)) {
    throw new RangeError(`Invalid seed sizes: expected at least two, got ${sizes.join(", ")}`);
  }
  return MARGINS.seedRange / range;
}

/** One row of the claims table (and of `claims.json`). */
export interface ClaimResult {
  /** Stable id, e.g. `more_clusters_seed_better`. */
  id: string;
  /** The claim as the thesis states it; a stated margin ("within 1 point") is our reading. */
  claim: string;
  verdict: Verdict;
  /** Why: the rule that decided and the deciding comparison. */
  reason: string;
  /** The test behind the verdict, in words. */
  test: string;
  /** Repeats of the deciding comparison (0 without data). */
  n: number;
  /** Mean difference of the deciding comparison, in `unit`; `null` without data. */
  effect: number | null;
  /** Its standard deviation over repeats; `null` below two repeats. */
  spread: number | null;
  /** `pp`, `queries` or `pp per 1k seed images`. */
  unit: string;
  /** 95% Student-t interval of the deciding comparison (per comparison, not adjusted). */
  interval: [number, number] | null;
  /** Holm-adjusted p of the deciding comparison's supporting test. */
  p_adjusted: number | null;
  /** Margin and TOST numbers when the deciding comparison is an equivalence. */
  tost: TostResult | null;
  /** Every comparison the claim rests on, judged. */
  comparisons: ComparisonResult[];
  /** What the comparisons read, and caveats (censored stops, by-construction halves). */
  note: string;
  /** The comparisons in one line each, and the note. */
  evidence: string;
}

/** Options of {@linkcode evaluateClaims}. */
export interface ClaimOptions {
  /** Budgets at which strategies are compared; default every query count all select runs of the dataset share, seed round excluded. */
  budgets?: readonly number[];
  /** The stopping rule of the alpha claims; default `batch-entropy`. */
  stopRule?: string;
}

/** Per-repeat values of one configuration. */
type ByRepeat = Map<number, number>;
/** Series → per-repeat values, for one dataset. */
type BySeries = Map<string, ByRepeat>;

/** Differences a − b over the repeats both have, by increasing repeat. */
export function pairedDiffs(a: ByRepeat, b: ByRepeat): number[] {
  return [...a.keys()].filter((r) => b.has(r)).sort((x, y) => x - y).map((r) =>
    a.get(r)! - b.get(r)!
  );
}

/** What the claims read, computed once from the results. */
export interface ClaimData {
  results: Results;
  options: ClaimOptions;
  datasets: string[];
  /** Accuracy after seeding (pp), averaged over seed sizes, per dataset and series. */
  seeding: Map<string, BySeries>;
  /** Select runs' accuracy (pp) averaged over the budgets, per dataset and strategy. */
  scores: Map<string, BySeries>;
  /** The budgets used per dataset. */
  budgets: Map<string, readonly number[]>;
}

/** One entry of the claims table. */
export interface ClaimSpec {
  id: string;
  claim: string;
  /** The test in words (shown beside the verdict). */
  test: string;
  comparisons(data: ClaimData): ComparisonInput[];
  note?(data: ClaimData): string;
}

const FASHION = ["fashion-mnist", "fashion_mnist", "fmnist"];

function greater(label: string, a?: ByRepeat, b?: ByRepeat, unit = "pp"): ComparisonInput {
  return { label, unit, kind: "greater", diffs: a && b ? pairedDiffs(a, b) : [] };
}

function close(label: string, margin: number, a?: ByRepeat, b?: ByRepeat): ComparisonInput {
  return { label, unit: "pp", kind: "equivalent", margin, diffs: a && b ? pairedDiffs(a, b) : [] };
}

/** "A beats B" between two series of one dataset's strategy scores. */
function beats(d: string, by: BySeries, a: string, b: string): ComparisonInput {
  return greater(`${datasetLabel(d)}, ${seriesLabel(a)} − ${seriesLabel(b)}`, by.get(a), by.get(b));
}

function similar(d: string, by: BySeries, a: string, b: string): ComparisonInput {
  const label = `${datasetLabel(d)}, ${seriesLabel(a)} ≈ ${seriesLabel(b)}`;
  return close(label, MARGINS.accuracy, by.get(a), by.get(b));
}

/** A strategy claim: the same comparisons on every dataset with select runs. */
function perDataset(f: (d: string, by: BySeries) => ComparisonInput[]) {
  return (data: ClaimData) => [...data.scores].flatMap(([d, by]) => f(d, by));
}

function strategyNote(data: ClaimData): string {
  const parts = [...data.budgets].map(([d, b]) =>
    `${datasetLabel(d)} at ${b.length > 6 ? `${b.length} budgets` : b.join("/")} queries`
  );
  return parts.length ? `Accuracy averaged over budgets: ${parts.join(", ")}` : "";
}

/** A strategy claim: {@link perDataset} comparisons, noted with the budgets averaged over. */
function strategyClaim(
  id: string,
  claim: string,
  test: string,
  f: (d: string, by: BySeries) => ComparisonInput[],
): ClaimSpec {
  return { id, claim, test, comparisons: perDataset(f), note: strategyNote };
}

const SINGLE = ["random", "least_confidence", "margin", "entropy", "uniform", "clustering"];
const T_HOLM = "paired t-test per comparison, Holm within the claim";
const TOST_HOLM = `TOST ±${MARGINS.accuracy} pp for ≈, paired t-test for −, Holm within the claim`;

function clusterNs(by: BySeries): number[] {
  return [...by.keys()].map((s) => /^cluster-(\d+)$/.exec(s)).filter((m) => m !== null).map((m) =>
    Number(m![1])
  ).sort((a, b) => a - b);
}

/** The table of claims, in the thesis's order (Figs. 2–7, then the Discussion). */
export const CLAIMS: readonly ClaimSpec[] = [
  {
    id: "more_clusters_seed_better",
    claim: "Cluster seeding with more clusters gives higher accuracy after seeding (Fig. 2)",
    test: `${T_HOLM}; adjacent N`,
    comparisons: (data) =>
      [...data.seeding].flatMap(([d, by]) => {
        const ns = clusterNs(by);
        return ns.slice(1).map((n, i) =>
          greater(
            `${datasetLabel(d)}, Cluster N=${n} − Cluster N=${ns[i]}`,
            by.get(`cluster-${n}`),
            by.get(`cluster-${ns[i]}`),
          )
        );
      }),
    note: () => "Accuracy after seeding, averaged over seed sizes",
  },
  {
    id: "random_seeding_beats_cluster_on_mnist_only",
    claim:
      "Random seeding beats cluster seeding on MNIST, and cluster seeding beats random on Fashion-MNIST (Fig. 2)",
    test: T_HOLM,
    comparisons: (data) => {
      // The claim is about both datasets: a missing one is a comparison without data.
      const mnist = data.seeding.get("mnist") ?? new Map();
      const fd = FASHION.find((d) => data.seeding.has(d)) ?? "fashion-mnist";
      const fashion = data.seeding.get(fd) ?? new Map();
      return [
        greater("MNIST, Random − cluster", mnist.get("random"), meanOverN(mnist)),
        greater(`${datasetLabel(fd)}, cluster − Random`, meanOverN(fashion), fashion.get("random")),
      ];
    },
    note: () => "Cluster: mean over N; accuracy after seeding, averaged over seed sizes",
  },
  strategyClaim(
    "uncertainty_beats_random",
    "Every uncertainty strategy (least confidence, margin, entropy) beats random sampling (Fig. 3)",
    T_HOLM,
    (d, by) => ["least_confidence", "margin", "entropy"].map((s) => beats(d, by, s, "random")),
  ),
  strategyClaim(
    "uncertainty_strategies_similar",
    "The uncertainty strategies perform similarly: within 1 point of each other (Fig. 3)",
    `TOST ±${MARGINS.accuracy} pp per pair, Holm within the claim`,
    (d, by) => [
      similar(d, by, "least_confidence", "margin"),
      similar(d, by, "least_confidence", "entropy"),
      similar(d, by, "margin", "entropy"),
    ],
  ),
  strategyClaim(
    "uniform_clustering_beat_random",
    "Uniform and clustering both beat random sampling (Fig. 4)",
    T_HOLM,
    (d, by) => [
      beats(d, by, "uniform", "random"),
      beats(d, by, "clustering", "random"),
    ],
  ),
  strategyClaim(
    "entropy_beats_uniform",
    "Entropy is slightly better than uniform (Fig. 4)",
    T_HOLM,
    (d, by) => [beats(d, by, "entropy", "uniform")],
  ),
  strategyClaim(
    "clustering_beats_entropy_uniform",
    "Clustering beats both entropy and uniform (Fig. 4)",
    T_HOLM,
    (d, by) => [
      beats(d, by, "clustering", "entropy"),
      beats(d, by, "clustering", "uniform"),
    ],
  ),
  strategyClaim(
    "entropy_clustering_best",
    "Entropy+clustering is the best strategy: it beats every other strategy (Fig. 5)",
    T_HOLM,
    (d, by) =>
      [...by.keys()].filter((s) => s !== "entropy_clustering" && !s.includes(":")).sort()
        .map((s) => beats(d, by, "entropy_clustering", s)),
  ),
  strategyClaim(
    "entropy_uniform_close_second",
    "Entropy+uniform is close behind entropy+clustering (within 1 point) and beats every single strategy (Fig. 5)",
    TOST_HOLM,
    (d, by) => [
      similar(d, by, "entropy_uniform", "entropy_clustering"),
      ...SINGLE.map((s) => beats(d, by, "entropy_uniform", s)),
    ],
  ),
  strategyClaim(
    "triple_worse_than_pairs",
    "Entropy+clustering+uniform is worse than both entropy+clustering and entropy+uniform (Fig. 5)",
    T_HOLM,
    (d, by) => [
      beats(d, by, "entropy_clustering", "entropy_clustering_uniform"),
      beats(d, by, "entropy_uniform", "entropy_clustering_uniform"),
    ],
  ),
  {
    id: "selection_beats_seeding",
    claim: "At the same number of queries, every selection strategy beats a seed alone (Figs. 2–5)",
    test: T_HOLM,
    comparisons: selectionVsSeed,
  },
  {
    id: "seed_size_hardly_matters",
    claim: "Seed size (1k–5k) hardly affects the final accuracy: within 1 point (Fig. 6)",
    test:
      `per-repeat least-squares slope of final accuracy on seed size, TOST ±${MARGINS.seedRange} pp over the seed sizes run (±0.25 pp per 1k seed images over 1k–5k), Holm over datasets`,
    comparisons: seedSizeSlopes,
  },
  {
    id: "higher_alpha_stops_earlier_lower_accuracy",
    claim: "A higher alpha stops earlier (fewer queries) at a lower accuracy (Fig. 7)",
    test: `${T_HOLM}; each adjacent pair of alphas, queries and accuracy`,
    comparisons: (data) => stopComparisons(data).order,
    note: (data) =>
      [
        "On one trace a larger alpha never fires later (every round that meets a smaller alpha meets a larger one), so the queries half cannot be reversed by construction: its test only reads whether the larger alpha stops strictly earlier; the accuracy half is the evidence",
        censoredNote(data),
      ].filter((x) => x).join(". "),
  },
  {
    id: "stop_accuracy_near_full_data",
    claim:
      "At every alpha the accuracy at the stop is close to (within 2 points of) a model trained on the whole dataset (Discussion)",
    test:
      `TOST ±${MARGINS.fullData} pp against the target on the same test images, Holm over alphas`,
    comparisons: (data) => stopComparisons(data).near,
    note: (data) =>
      [
        "Reference: the target (trained on the whole training set) scored on the very test images the substitute was scored on",
        censoredNote(data),
      ].filter((x) => x).join(". "),
  },
];

/** Mean over the cluster-N series, per repeat (repeats that have every N). */
function meanOverN(by: BySeries): ByRepeat | undefined {
  const ns = clusterNs(by);
  if (ns.length === 0) return undefined;
  const out: ByRepeat = new Map();
  for (const r of by.get(`cluster-${ns[0]}`)!.keys()) {
    const vals = ns.map((n) => by.get(`cluster-${n}`)!.get(r));
    if (vals.every((v) => v !== undefined)) out.set(r, summarize(vals as number[]).mean);
  }
  return out;
}

function selectionVsSeed(data: ClaimData): ComparisonInput[] {
  const { results } = data;
  const out: ComparisonInput[] = [];
  for (const d of data.datasets) {
    const seeds = results.runs.filter((r) =>
      r.experiment === "seeding" && r.dataset === d && r.series === "random"
    );
    if (seeds.length === 0) continue;
    const size = Math.max(...seeds.map((r) => r.seed_size));
    const base: ByRepeat = new Map();
    for (const r of seeds) {
      const row = r.trace.find((x) => x.round === 0) ?? r.trace[0];
      if (r.seed_size === size && row) base.set(r.repeat, 100 * row.test_accuracy);
    }
    const selects = results.runs.filter((r) =>
      r.experiment === "select" && r.dataset === d && r.series !== "random" &&
      !r.series.includes(":")
    );
    for (const s of [...new Set(selects.map((r) => r.series))].sort()) {
      const at: ByRepeat = new Map();
      for (const r of selects.filter((x) => x.series === s)) {
        const row = rowAt(r.trace, size);
        if (row && row.round > 0) at.set(r.repeat, 100 * row.test_accuracy);
      }
      const label = `${datasetLabel(d)}, ${
        seriesLabel(s)
      } at ${size} queries − random seed of ${size}`;
      out.push(greater(label, at, base));
    }
  }
  return out;
}

function seedSizeSlopes(data: ClaimData): ComparisonInput[] {
  const out: ComparisonInput[] = [];
  for (const d of data.datasets) {
    const runs = data.results.runs.filter((r) => r.experiment === "seed_size" && r.dataset === d);
    if (runs.length === 0) continue;
    const end = Math.min(...runs.map((r) => Math.max(...r.trace.map((x) => x.queries))));
    const byRepeat = new Map<number, { x: number; y: number }[]>();
    for (const r of runs) {
      const row = rowAt(r.trace, end);
      if (!row) continue;
      const list = byRepeat.get(r.repeat) ?? [];
      list.push({ x: r.seed_size / 1000, y: 100 * row.test_accuracy });
      byRepeat.set(r.repeat, list);
    }
    const sizeList = [...new Set(runs.map((r) => r.seed_size))];
    const sizes = sizeList.length;
    const slopes = [...byRepeat.keys()].sort((a, b) => a - b)
      .map((r) => byRepeat.get(r)!)
      .filter((pts) => pts.length === sizes && sizes > 1)
      .map((pts) => olsSlope(pts.map((p) => p.x), pts.map((p) => p.y)));
    out.push({
      label: `${datasetLabel(d)}, slope of accuracy at ${end} queries over ${sizes} seed sizes ≈ 0`,
      unit: "pp per 1k seed images",
      kind: "equivalent",
      margin: sizes > 1 ? seedSlopeMargin(sizeList) : MARGINS.seedRange,
      diffs: slopes,
    });
  }
  return out;
}

function stopsOf(data: ClaimData) {
  const rule = data.options.stopRule ?? "batch-entropy";
  return data.results.stops.filter((s) => isThesisStop(s, rule));
}

function censoredNote(data: ClaimData): string {
  const censored = stopsOf(data).filter((s) => !s.stopped).length;
  return censored > 0
    ? `${censored} run(s) never met the rule; their numbers are the run's end`
    : "";
}

function stopComparisons(data: ClaimData): { order: ComparisonInput[]; near: ComparisonInput[] } {
  const stops = stopsOf(data);
  const order: ComparisonInput[] = [];
  const near: ComparisonInput[] = [];
  for (const d of [...new Set(stops.map((s) => s.dataset))].sort()) {
    const mine = stops.filter((s) => s.dataset === d);
    const alphas = [...new Set(mine.map((s) => s.alpha))].sort((a, b) => a - b);
    const by = (alpha: number, f: (s: (typeof mine)[number]) => number): ByRepeat =>
      new Map(mine.filter((s) => s.alpha === alpha).map((s) => [s.repeat, f(s)]));
    for (let i = 1; i < alphas.length; i++) {
      const lo = alphas[i - 1]!, hi = alphas[i]!;
      const name = `${datasetLabel(d)}, α=${lo} − α=${hi}`;
      order.push(
        greater(
          `${name}: queries at stop`,
          by(lo, (s) => s.queries),
          by(hi, (s) => s.queries),
          "queries",
        ),
      );
      order.push(
        greater(
          `${name}: accuracy at stop`,
          by(lo, (s) => 100 * s.test_accuracy),
          by(hi, (s) => 100 * s.test_accuracy),
        ),
      );
    }
    const reference = targetOnSameTestSet(data.results.runs, d);
    for (const a of alphas) {
      near.push(close(
        `${datasetLabel(d)}, accuracy at stop α=${a} − target ≈ 0`,
        MARGINS.fullData,
        by(a, (s) => 100 * s.test_accuracy),
        reference,
      ));
    }
  }
  return { order, near };
}

/** Per repeat, the target's accuracy (pp) on the test images of that repeat's entropy run. */
function targetOnSameTestSet(runs: readonly RunResult[], dataset: string): ByRepeat {
  const out: ByRepeat = new Map();
  for (const r of runs) {
    if (r.experiment !== "select" || r.dataset !== dataset || r.series !== "entropy") continue;
    if (r.target_test_accuracy !== undefined) out.set(r.repeat, 100 * r.target_test_accuracy);
  }
  return out;
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

/** Reads everything the claims compare out of the results. */
export function claimData(results: Results, options: ClaimOptions = {}): ClaimData {
  const datasets = [...new Set(results.runs.map((r) => r.dataset))].sort();
  const seeding = new Map<string, BySeries>();
  const scores = new Map<string, BySeries>();
  const budgets = new Map<string, readonly number[]>();
  for (const d of datasets) {
    const lists = new Map<string, Map<number, number[]>>();
    for (const run of results.runs) {
      if (run.experiment !== "seeding" || run.dataset !== d) continue;
      const row = run.trace.find((r) => r.round === 0) ?? run.trace[0];
      if (!row) continue;
      const m = lists.get(run.series) ?? new Map<number, number[]>();
      m.set(run.repeat, [...(m.get(run.repeat) ?? []), 100 * row.test_accuracy]);
      lists.set(run.series, m);
    }
    if (lists.size > 0) {
      seeding.set(
        d,
        new Map([...lists].map(([s, m]) => [s, new Map([...m].map(([r, v]) => [r, mean(v)]))])),
      );
    }
    const runs = results.runs.filter((r) => r.experiment === "select" && r.dataset === d);
    const b = options.budgets ?? commonQueries(runs);
    const by: BySeries = new Map();
    for (const run of runs) {
      const vals = b.map((q) => rowAt(run.trace, q)?.test_accuracy).filter((v) =>
        v !== undefined
      ) as number[];
      if (vals.length === 0) continue;
      const m = by.get(run.series) ?? new Map();
      m.set(run.repeat, 100 * mean(vals));
      by.set(run.series, m);
    }
    if (by.size > 0) {
      scores.set(d, by);
      budgets.set(d, b);
    }
  }
  return { results, options, datasets, seeding, scores, budgets };
}

function mean(xs: readonly number[]): number {
  return summarize(xs).mean;
}

const round4 = (x: number | null) => (x === null ? null : Math.round(x * 1e4) / 1e4);
const round6 = (x: number | null) => (x === null ? null : Math.round(x * 1e6) / 1e6);
const roundPair = (p: [number, number] | null): [number, number] | null =>
  p === null ? null : [round4(p[0])!, round4(p[1])!];

/** Rounds a judged comparison's numbers for claims.json (stable bytes, readable). */
function rounded(c: ComparisonResult): ComparisonResult {
  return {
    ...c,
    effect: round4(c.effect),
    sd: round4(c.sd),
    interval: roundPair(c.interval),
    p: round6(c.p),
    p_adjusted: round6(c.p_adjusted),
    tost: c.tost === null ? null : {
      ...c.tost,
      p_lower: round6(c.tost.p_lower),
      p_upper: round6(c.tost.p_upper),
      interval: roundPair(c.tost.interval),
      p_outside_adjusted: round6(c.tost.p_outside_adjusted),
    },
  };
}

function fmt(x: number, unit: string): string {
  const v = unit === "queries" ? x.toFixed(0) : x.toFixed(2);
  return `${x > 0 ? "+" : ""}${v} ${unit}`;
}

/** One comparison in one line: label, effect, n, interval, verdict and reason. */
export function describeComparison(c: ComparisonResult): string {
  if (c.effect === null) return `${c.label}: no data`;
  const iv = c.kind === "equivalent" ? c.tost?.interval : c.interval;
  const lvl = c.kind === "equivalent" ? "90%" : "95%";
  const digits = c.unit === "queries" ? 0 : 2;
  const interval = iv ? `, ${lvl} [${iv[0].toFixed(digits)}, ${iv[1].toFixed(digits)}]` : "";
  return `${c.label}: ${fmt(c.effect, c.unit)} (n=${c.n}${interval}) ${c.verdict}: ${c.reason}`;
}

/** Judges one claim of the table. */
export function evaluateClaim(spec: ClaimSpec, data: ClaimData): ClaimResult {
  return claimRow(spec, judgeComparisons(spec.comparisons(data)), spec.note?.(data) ?? "");
}

/** What a claim row says besides its comparisons. */
export interface ClaimHead {
  id: string;
  claim: string;
  test: string;
}

/**
 * A claims-table row from judged comparisons: rounds them, judges the claim and reads the
 * deciding comparison's numbers. `unit` and `empty` stand in when there are no comparisons.
 */
export function claimRow(
  head: ClaimHead,
  judged: readonly ComparisonResult[],
  note: string,
  options: { unit?: string; empty?: string } = {},
): ClaimResult {
  const comparisons = judged.map(rounded);
  const j = judgeClaim(comparisons);
  const deciding = j.deciding === null ? undefined : comparisons[j.deciding];
  const lines = comparisons.map(describeComparison).join("; ") || (options.empty ?? "no data");
  return {
    id: head.id,
    claim: head.claim,
    verdict: j.verdict,
    reason: j.reason,
    test: head.test,
    n: deciding?.n ?? 0,
    effect: deciding?.effect ?? null,
    spread: deciding?.sd ?? null,
    unit: deciding?.unit ?? options.unit ?? "pp",
    interval: deciding?.interval ?? null,
    p_adjusted: deciding?.p_adjusted ?? null,
    tost: deciding?.tost ?? null,
    comparisons,
    note,
    evidence: note ? `${lines}. ${note}` : lines,
  };
}

/**
 * The claims table: every claim the thesis makes in its Results and Discussion that our
 * experiments can test, with a verdict from the data.
 */
export function evaluateClaims(results: Results, options: ClaimOptions = {}): ClaimResult[] {
  const data = claimData(results, options);
  return CLAIMS.map((spec) => evaluateClaim(spec, data));
}
