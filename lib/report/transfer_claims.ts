/**
 * Two claims about transfer, checked at every budget the transfer stage measured:
 *
 * 1. **`transfer_follows_agreement`**, "a substitute that agrees more with the target transfers
 *    better": per dataset and budget, Spearman's rho across runs (strategies × repeats) between
 *    the substitute's agreement with the target (on the attacked images) and its transfer score
 *    (transfer success averaged over the attacks and eps), with a seeded permutation p-value;
 *    Holm across the (dataset, budget) tests. *Holds* when every test has rho > 0 and adjusted
 *    p < 0.05; *does not hold* when some test has rho < 0 and adjusted p < 0.05; otherwise (or
 *    with fewer than 4 runs in a test) *inconclusive*. Effect: the smallest rho.
 * 2. **`accuracy_winners_transfer`**, "strategies that beat random on accuracy also beat it on
 *    transfer": per dataset, budget and strategy, the differences from random paired by repeat,
 *    in percentage points, with Student-t 95% intervals (n ≥ 2). A strategy beats random on
 *    accuracy when its interval lies above 0. *Holds* when every such strategy's transfer
 *    interval also lies above 0; *does not hold* when one's lies below 0; otherwise, with no
 *    accuracy winner, or with one repeat, *inconclusive*. Effect: the smallest transfer gain
 *    among the accuracy winners.
 *
 * The rows have the shape of the claims table's rows (`lib/report/claims.ts`).
 *
 * @module
 */

import { rowAt } from "./aggregate.ts";
import type { Results } from "./results.ts";
import { datasetLabel, seriesLabel } from "./results.ts";
import { holm, spearmanTest } from "./stats/rank.ts";
import { type TransferRecord, transferScore } from "./transfer_results.ts";

type Verdict = "holds" | "does not hold" | "inconclusive";

/** A row of the claims table. */
export interface TransferClaim {
  id: string;
  claim: string;
  verdict: Verdict;
  effect: number | null;
  spread: number | null;
  unit: string;
  evidence: string;
}

const ALPHA = 0.05;

/** Two-sided 97.5% Student-t quantiles for 1–30 degrees of freedom; 1.96 beyond. */
const T975 = [
  12.706,
  4.303,
  3.182,
  2.776,
  2.571,
  2.447,
  2.365,
  2.306,
  2.262,
  2.228,
  2.201,
  2.179,
  2.16,
  2.145,
  2.131,
  2.12,
  2.11,
  2.101,
  2.093,
  2.086,
  2.08,
  2.074,
  2.069,
  2.064,
  2.06,
  2.056,
  2.052,
  2.048,
  2.045,
  2.042,
];

/** Mean and Student-t 95% interval of paired differences; `null` interval with one value. */
export function tInterval(
  d: readonly number[],
): { mean: number; lo: number | null; hi: number | null } {
  const n = d.length;
  const mean = d.reduce((s, v) => s + v, 0) / n;
  if (n < 2) return { mean, lo: null, hi: null };
  const sd = Math.sqrt(d.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1));
  const half = (T975[n - 2] ?? 1.96) * sd / Math.sqrt(n);
  return { mean, lo: mean - half, hi: mean + half };
}

const budgetsOf = (records: readonly TransferRecord[], dataset: string) =>
  [...new Set(records.filter((r) => r.dataset === dataset).map((r) => r.budget))].sort((a, b) =>
    a - b
  );
const datasetsOf = (records: readonly TransferRecord[]) =>
  [...new Set(records.map((r) => r.dataset))].sort();
const f2 = (x: number) => x.toFixed(2);

/** Claim 1: agreement and transfer go together across runs (Spearman, permutation, Holm). */
export function agreementClaim(records: readonly TransferRecord[]): TransferClaim {
  const tests: { label: string; rho: number | null; p: number | null; n: number }[] = [];
  for (const dataset of datasetsOf(records)) {
    for (const budget of budgetsOf(records, dataset)) {
      const at = records.filter((r) => r.dataset === dataset && r.budget === budget);
      const t = spearmanTest(at.map((r) => r.agreement), at.map((r) => transferScore(r)), {
        seed: budget,
      });
      tests.push({ label: `${datasetLabel(dataset)} @${budget}`, ...t });
    }
  }
  const usable = tests.filter((t) => t.rho !== null && t.p !== null && t.n >= 4);
  const adjusted = holm(usable.map((t) => t.p!));
  const sig = usable.map((t, i) => ({ ...t, q: adjusted[i]! }));
  let verdict: Verdict = "inconclusive";
  if (sig.some((t) => t.rho! < 0 && t.q < ALPHA)) verdict = "does not hold";
  else if (
    sig.length > 0 && sig.length === tests.length && sig.every((t) => t.rho! > 0 && t.q < ALPHA)
  ) verdict = "holds";
  const rhos = sig.map((t) => t.rho!);
  const evidence = tests.map((t) => {
    const s = sig.find((u) => u.label === t.label);
    return t.rho === null || s === undefined
      ? `${t.label}: n = ${t.n}, too few runs or no spread`
      : `${t.label}: rho = ${f2(t.rho)} (n = ${t.n}, permutation p = ${t.p!.toFixed(4)}, Holm ${
        s.q.toFixed(4)
      })`;
  });
  return {
    id: "transfer_follows_agreement",
    claim: "A substitute that agrees more with the target transfers better (rank correlation " +
      "across runs of agreement and transfer success averaged over attacks and eps).",
    verdict,
    effect: rhos.length > 0 ? Math.min(...rhos) : null,
    spread: null,
    unit: "rho",
    evidence: evidence.join("; ") || "no transfer results",
  };
}

/** Claim 2: the strategies that beat random on accuracy also beat it on transfer. */
export function winnersClaim(
  results: Results,
  records: readonly TransferRecord[],
): TransferClaim {
  const accuracy = (dataset: string, strategy: string, repeat: number, budget: number) => {
    const run = results.runs.find((r) =>
      r.experiment === "select" && r.dataset === dataset && r.series === strategy &&
      r.repeat === repeat
    );
    const row = run === undefined ? undefined : rowAt(run.trace, budget);
    return row?.test_accuracy;
  };
  const lines: string[] = [];
  const verdicts: { v: Verdict; gain: number }[] = [];
  let repeatsSeen = 0;
  for (const dataset of datasetsOf(records)) {
    for (const budget of budgetsOf(records, dataset)) {
      const at = records.filter((r) => r.dataset === dataset && r.budget === budget);
      const random = new Map(at.filter((r) => r.strategy === "random").map((r) => [r.repeat, r]));
      for (const strategy of [...new Set(at.map((r) => r.strategy))].sort()) {
        if (strategy === "random") continue;
        const dAcc: number[] = [];
        const dTr: number[] = [];
        for (const rec of at.filter((r) => r.strategy === strategy)) {
          const base = random.get(rec.repeat);
          const a = accuracy(dataset, strategy, rec.repeat, budget);
          const b = accuracy(dataset, "random", rec.repeat, budget);
          if (base === undefined || a === undefined || b === undefined) continue;
          dAcc.push(100 * (a - b));
          dTr.push(100 * (transferScore(rec) - transferScore(base)));
        }
        if (dAcc.length === 0) continue;
        repeatsSeen = Math.max(repeatsSeen, dAcc.length);
        const acc = tInterval(dAcc);
        const tr = tInterval(dTr);
        const show = (t: typeof acc) =>
          t.lo === null ? `${f2(t.mean)} pp` : `${f2(t.mean)} pp [${f2(t.lo)}, ${f2(t.hi!)}]`;
        const winner = acc.lo !== null && acc.lo > 0;
        lines.push(
          `${datasetLabel(dataset)} @${budget} ${seriesLabel(strategy)}: accuracy ${
            show(acc)
          }, transfer ${show(tr)}${winner ? " (beats random on accuracy)" : ""}`,
        );
        if (!winner) continue;
        const v: Verdict = tr.lo! > 0 ? "holds" : tr.hi! < 0 ? "does not hold" : "inconclusive";
        verdicts.push({ v, gain: tr.mean });
      }
    }
  }
  let verdict: Verdict = "inconclusive";
  if (verdicts.some((x) => x.v === "does not hold")) verdict = "does not hold";
  else if (verdicts.length > 0 && verdicts.every((x) => x.v === "holds")) verdict = "holds";
  const deciding = verdicts.filter((x) => x.v === verdict).map((x) => x.gain);
  const note = repeatsSeen < 2
    ? "One repeat: no interval, so no strategy can be shown to beat random. "
    : verdicts.length === 0
    ? "No strategy beats random on accuracy at any budget. "
    : "";
  return {
    id: "accuracy_winners_transfer",
    claim: "Selection strategies that beat random on accuracy also beat it on transfer " +
      "(paired by repeat, transfer success averaged over attacks and eps).",
    verdict,
    effect: deciding.length > 0 ? Math.min(...deciding) : null,
    spread: null,
    unit: "pp",
    evidence: note + (lines.join("; ") || "no transfer results beside random"),
  };
}

/** Both transfer claims; none without transfer results. */
export function transferClaims(
  results: Results,
  records: readonly TransferRecord[],
): TransferClaim[] {
  if (records.length === 0) return [];
  return [agreementClaim(records), winnersClaim(results, records)];
}
