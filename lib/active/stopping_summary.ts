/**
 * Aggregates stopping results over repeats: per dataset, strategy, rule and threshold, how many
 * runs stopped, and the mean and standard deviation of queries and accuracy at the stop (over
 * the runs that stopped). What the thesis's Fig. 7 plots.
 *
 * @module
 */

import type { StoppingResult } from "./stopping.ts";

/** One run's stopping results with where it came from. */
export interface StoppingRun {
  /** Dataset of the run, when known. */
  readonly dataset: string | null;
  /** Strategy of the run, when known. */
  readonly strategy: string | null;
  /** Its results, one per rule and threshold. */
  readonly results: readonly StoppingResult[];
}

/** The aggregate of one dataset, strategy, rule and threshold. */
export interface StoppingSummaryRow {
  /** Dataset (`null` when unknown). */
  dataset: string | null;
  /** Strategy (`null` when unknown). */
  strategy: string | null;
  /** Rule. */
  rule: string;
  /** Alpha or kappa threshold. */
  threshold: number;
  /** Kappa window, or `null`. */
  window: number | null;
  /** Runs evaluated. */
  runs: number;
  /** Runs in which the rule fired. */
  stopped: number;
  /** Mean queries at the stop over the runs that stopped (`null` if none did). */
  mean_queries: number | null;
  /** Sample standard deviation of those queries (`null` below two runs). */
  sd_queries: number | null;
  /** Mean test accuracy at the stop. */
  mean_test_accuracy: number | null;
  /** Sample standard deviation of that accuracy. */
  sd_test_accuracy: number | null;
}

function mean(xs: number[]): number | null {
  return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
}

function sd(xs: number[]): number | null {
  if (xs.length < 2) return null;
  const m = mean(xs)!;
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

const r6 = (x: number | null) => (x === null ? null : Math.round(x * 1e6) / 1e6);

/**
 * Groups results by dataset, strategy, rule, threshold and window, in first-seen order.
 *
 * @example Usage
 * ```ts
 * import { summarizeStopping } from "./stopping_summary.ts";
 * const result = (queries: number | null) => ({
 *   rule: "batch-entropy" as const, threshold: 0.01, window: null, stopped: queries !== null,
 *   round: null, queries, test_accuracy: queries === null ? null : 0.9, agreement: null,
 * });
 * const rows = summarizeStopping([
 *   { dataset: "mnist", strategy: "entropy", results: [result(3000)] },
 *   { dataset: "mnist", strategy: "entropy", results: [result(null)] },
 * ]);
 * console.assert(rows[0]!.runs === 2 && rows[0]!.stopped === 1 && rows[0]!.mean_queries === 3000);
 * ```
 */
export function summarizeStopping(runs: readonly StoppingRun[]): StoppingSummaryRow[] {
  const groups = new Map<string, { head: StoppingSummaryRow; q: number[]; a: number[] }>();
  for (const run of runs) {
    for (const r of run.results) {
      const key = JSON.stringify([run.dataset, run.strategy, r.rule, r.threshold, r.window]);
      let g = groups.get(key);
      if (g === undefined) {
        g = {
          head: {
            dataset: run.dataset,
            strategy: run.strategy,
            rule: r.rule,
            threshold: r.threshold,
            window: r.window,
            runs: 0,
            stopped: 0,
            mean_queries: null,
            sd_queries: null,
            mean_test_accuracy: null,
            sd_test_accuracy: null,
          },
          q: [],
          a: [],
        };
        groups.set(key, g);
      }
      g.head.runs++;
      if (r.stopped) {
        g.head.stopped++;
        if (r.queries !== null) g.q.push(r.queries);
        if (r.test_accuracy !== null) g.a.push(r.test_accuracy);
      }
    }
  }
  return [...groups.values()].map(({ head, q, a }) => ({
    ...head,
    mean_queries: r6(mean(q)),
    sd_queries: r6(sd(q)),
    mean_test_accuracy: r6(mean(a)),
    sd_test_accuracy: r6(sd(a)),
  }));
}
