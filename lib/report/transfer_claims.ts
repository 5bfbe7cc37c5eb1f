/**
 * Two claims about transfer, checked at every budget the transfer stage measured, in the claims
 * table's shape (`lib/report/claims.ts`):
 *
 * 1. **`transfer_follows_agreement`**, "a substitute that agrees more with the target transfers
 *    better": per dataset and budget, Spearman's rho across runs (strategies × repeats) between
 *    the substitute's agreement with the target (on the attacked images) and its transfer score
 *    (transfer success averaged over the attacks and eps), with a seeded two-sided permutation
 *    p-value (`stats/rank.ts`), Holm across the (dataset, budget) tests (`stats/holm.ts`). A test
 *    *holds* when rho > 0 and its adjusted p < 0.05, *does not hold* when rho < 0 and adjusted
 *    p < 0.05, and is *inconclusive* otherwise or with fewer than 4 runs; the claim combines its
 *    tests as every claim does (`stats/verdict.ts`: any "does not hold" decides, all "holds" hold).
 * 2. **`accuracy_winners_transfer`**, "strategies that beat random on accuracy also beat it on
 *    transfer": per dataset, budget and strategy, accuracy minus random's, paired by repeat
 *    (pp); the strategies whose accuracy comparison holds (paired t, Holm over all of them) must
 *    beat random on the transfer score too (paired t, Holm within the claim). With no accuracy
 *    winner (for instance with one repeat) the claim is inconclusive.
 *
 * @module
 */

import { rowAt } from "./aggregate.ts";
import { type ClaimResult, claimRow, describeComparison } from "./claims.ts";
import type { Results } from "./results.ts";
import { datasetLabel, seriesLabel } from "./results.ts";
import {
  ALPHA,
  type ComparisonInput,
  type ComparisonResult,
  holm,
  judgeComparisons,
} from "./stats/mod.ts";
import { spearmanTest } from "./stats/rank.ts";
import { type TransferRecord, transferScore } from "./transfer_results.ts";

/** Fewest runs a rank correlation is judged on. */
const MIN_RUNS = 4;

const budgetsOf = (records: readonly TransferRecord[], dataset: string) =>
  [...new Set(records.filter((r) => r.dataset === dataset).map((r) => r.budget))].sort((a, b) =>
    a - b
  );
const datasetsOf = (records: readonly TransferRecord[]) =>
  [...new Set(records.map((r) => r.dataset))].sort();

/** Claim 1: agreement and transfer go together across runs (Spearman, permutation, Holm). */
export function agreementClaim(records: readonly TransferRecord[]): ClaimResult {
  const tests = datasetsOf(records).flatMap((dataset) =>
    budgetsOf(records, dataset).map((budget) => {
      const at = records.filter((r) => r.dataset === dataset && r.budget === budget);
      const t = spearmanTest(at.map((r) => r.agreement), at.map((r) => transferScore(r)), {
        seed: budget,
      });
      return { label: `${datasetLabel(dataset)} @${budget} queries`, ...t };
    })
  );
  const usable = (t: typeof tests[number]) => t.rho !== null && t.n >= MIN_RUNS;
  const adjusted = holm(tests.map((t) => (usable(t) ? t.p : null)));
  const comparisons: ComparisonResult[] = tests.map((t, i) => {
    const q = adjusted[i] ?? null;
    const verdict = q === null || q >= ALPHA
      ? "inconclusive"
      : t.rho! > 0
      ? "holds"
      : "does not hold";
    const reason = !usable(t)
      ? `${t.n} runs${t.rho === null ? ", no spread" : ""}: too few to rank (at least ${MIN_RUNS})`
      : `rho ${t.rho!.toFixed(2)}, permutation p ${t.p!.toFixed(4)}, Holm ${q!.toFixed(4)}`;
    return {
      label: t.label,
      unit: "rho",
      kind: "greater",
      n: t.n,
      effect: t.rho,
      sd: null,
      interval: null,
      interval_level: 0.95,
      p: t.p,
      p_adjusted: q,
      tost: null,
      zero_variance: false,
      verdict,
      reason,
    };
  });
  const note = "Runs: every strategy and repeat at that budget; transfer success averaged over " +
    "the attacks and eps; agreement measured on the attacked test images.";
  return claimRow(
    {
      id: "transfer_follows_agreement",
      claim: "A substitute that agrees more with the target transfers better.",
      test: "Spearman's rho across runs per dataset and budget, permutation p (9,999, seeded), " +
        "Holm across budgets and datasets",
    },
    comparisons,
    note,
    { unit: "rho", empty: "no transfer results" },
  );
}

/** Per-repeat values of one strategy at one budget: accuracy (pp) and transfer score (pp). */
function byRepeat(
  results: Results,
  at: readonly TransferRecord[],
  strategy: string,
  budget: number,
): Map<number, { acc: number; transfer: number }> {
  const out = new Map<number, { acc: number; transfer: number }>();
  for (const rec of at.filter((r) => r.strategy === strategy)) {
    const run = results.runs.find((r) =>
      r.experiment === "select" && r.dataset === rec.dataset && r.series === strategy &&
      r.repeat === rec.repeat
    );
    const row = run === undefined ? undefined : rowAt(run.trace, budget);
    if (row !== undefined) {
      out.set(rec.repeat, { acc: 100 * row.test_accuracy, transfer: 100 * transferScore(rec) });
    }
  }
  return out;
}

/** The accuracy and transfer comparisons against random, per dataset, budget and strategy. */
function againstRandom(
  results: Results,
  records: readonly TransferRecord[],
): { accuracy: ComparisonInput[]; transfer: ComparisonInput[] } {
  const accuracy: ComparisonInput[] = [];
  const transfer: ComparisonInput[] = [];
  for (const dataset of datasetsOf(records)) {
    for (const budget of budgetsOf(records, dataset)) {
      const at = records.filter((r) => r.dataset === dataset && r.budget === budget);
      const random = byRepeat(results, at, "random", budget);
      for (const strategy of [...new Set(at.map((r) => r.strategy))].sort()) {
        if (strategy === "random") continue;
        const mine = byRepeat(results, at, strategy, budget);
        const repeats = [...mine.keys()].filter((r) => random.has(r)).sort((a, b) => a - b);
        const label = `${datasetLabel(dataset)} @${budget}, ${seriesLabel(strategy)} − Random`;
        const diffs = (k: "acc" | "transfer") =>
          repeats.map((r) => mine.get(r)![k] - random.get(r)![k]);
        accuracy.push({
          label: `${label}, accuracy`,
          unit: "pp",
          kind: "greater",
          diffs: diffs("acc"),
        });
        transfer.push({
          label: `${label}, transfer`,
          unit: "pp",
          kind: "greater",
          diffs: diffs("transfer"),
        });
      }
    }
  }
  return { accuracy, transfer };
}

/** Claim 2: the strategies that beat random on accuracy also beat it on transfer. */
export function winnersClaim(results: Results, records: readonly TransferRecord[]): ClaimResult {
  const { accuracy, transfer } = againstRandom(results, records);
  const judged = judgeComparisons(accuracy);
  const winners = judged.flatMap((c, i) => (c.verdict === "holds" ? [i] : []));
  const note = winners.length > 0
    ? `Beat random on accuracy: ${
      winners.map((i) => accuracy[i]!.label.replace(/, accuracy$/, "")).join(", ")
    }.`
    : `No strategy beats random on accuracy at the budgets measured, so nothing to check on ` +
      `transfer (${judged.map(describeComparison).join("; ") || "no runs beside random"}).`;
  const claim = claimRow(
    {
      id: "accuracy_winners_transfer",
      claim: "Selection strategies that beat random on accuracy also beat it on transfer.",
      test: "accuracy − random per dataset, budget and strategy (paired t, Holm); for those that " +
        "hold, transfer success (averaged over attacks and eps) − random's (paired t, Holm)",
    },
    judgeComparisons(winners.map((i) => transfer[i]!)),
    note,
  );
  return winners.length > 0
    ? claim
    : { ...claim, reason: "no strategy beats random on accuracy: nothing to check on transfer" };
}

/** Both transfer claims; none without transfer results. */
export function transferClaims(
  results: Results,
  records: readonly TransferRecord[],
): ClaimResult[] {
  if (records.length === 0) return [];
  return [agreementClaim(records), winnersClaim(results, records)];
}
