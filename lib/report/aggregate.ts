/**
 * Aggregation over repeats: the mean, minimum, maximum and standard deviation that the figures
 * draw as a line with a band and the tables print. Pure functions over {@linkcode Results}.
 *
 * @module
 */

import type { TraceRow } from "../active/trace.ts";
import type { Experiment, RunResult, StopResult } from "./results.ts";

/** Mean and spread of one quantity over repeats. */
export interface Summary {
  mean: number;
  min: number;
  max: number;
  /** Sample standard deviation (n - 1); `null` with one value. */
  sd: number | null;
  n: number;
}

/** The two quantities every figure shows side by side. */
export type Metric = "accuracy" | "agreement";

/** One aggregated point of a curve: a series at one x, over repeats. */
export interface CurvePoint extends Summary {
  series: string;
  x: number;
  metric: Metric;
}

/**
 * Mean, min, max and sample standard deviation of a non-empty list.
 *
 * @example Usage
 * ```ts
 * import { summarize } from "./aggregate.ts";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(summarize([1, 3]), { mean: 2, min: 1, max: 3, sd: Math.SQRT2, n: 2 });
 * ```
 */
export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) throw new RangeError("Cannot summarize: expected at least one value");
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const n = values.length;
  const mean = sum / n;
  let sd: number | null = null;
  if (n > 1) {
    let ss = 0;
    for (const v of values) ss += (v - mean) ** 2;
    sd = Math.sqrt(ss / (n - 1));
  }
  return { mean, min, max, sd, n };
}

/**
 * The trace row that describes the substitute after `queries` queries: the last round that had
 * spent at most that many. `undefined` when the run started above it.
 */
export function rowAt(trace: readonly TraceRow[], queries: number): TraceRow | undefined {
  let best: TraceRow | undefined;
  for (const row of trace) {
    if (row.queries <= queries && (best === undefined || row.queries >= best.queries)) best = row;
  }
  return best;
}

/** The value of a metric in a trace row. */
export function metricOf(row: TraceRow, metric: Metric): number {
  return metric === "accuracy" ? row.test_accuracy : row.agreement;
}

/** Options of {@linkcode learningCurve}. */
export interface CurveOptions {
  experiment: Experiment;
  dataset: string;
  /** Read the curve at these query counts only (the thesis's 5k/10k/15k/20k); else every round. */
  budgets?: readonly number[];
  /** Which series a run belongs to; default its `series`. */
  seriesOf?: (run: RunResult) => string;
  /** Keep only these series (after `seriesOf`), in this order. */
  series?: readonly string[];
}

/**
 * Accuracy and agreement against queries, averaged over repeats, for each series of one
 * experiment on one dataset. Points are sorted by series (in `series` order when given), metric
 * and x, so the output is deterministic.
 */
export function learningCurve(runs: readonly RunResult[], options: CurveOptions): CurvePoint[] {
  const seriesOf = options.seriesOf ?? ((r: RunResult) => r.series);
  const groups = new Map<string, number[]>();
  const keyOf = (s: string, m: Metric, x: number) => JSON.stringify([s, m, x]);
  for (const run of runs) {
    if (run.experiment !== options.experiment || run.dataset !== options.dataset) continue;
    const s = seriesOf(run);
    if (options.series && !options.series.includes(s)) continue;
    const rows: [number, TraceRow][] = [];
    if (options.budgets) {
      for (const b of options.budgets) {
        const row = rowAt(run.trace, b);
        if (row) rows.push([b, row]);
      }
    } else {
      for (const row of run.trace) rows.push([row.queries, row]);
    }
    for (const [x, row] of rows) {
      for (const m of ["accuracy", "agreement"] as const) {
        const k = keyOf(s, m, x);
        const list = groups.get(k) ?? [];
        list.push(metricOf(row, m));
        groups.set(k, list);
      }
    }
  }
  return sortPoints(groups, options.series);
}

/**
 * Seeding-only accuracy (round 0 of each run) against seed size: the thesis's Fig. 2.
 */
export function seedingCurve(
  runs: readonly RunResult[],
  options: { dataset: string; series?: readonly string[] },
): CurvePoint[] {
  const groups = new Map<string, number[]>();
  for (const run of runs) {
    if (run.experiment !== "seeding" || run.dataset !== options.dataset) continue;
    if (options.series && !options.series.includes(run.series)) continue;
    const row = run.trace.find((r) => r.round === 0) ?? run.trace[0];
    if (!row) continue;
    for (const m of ["accuracy", "agreement"] as const) {
      const k = JSON.stringify([run.series, m, run.seed_size]);
      const list = groups.get(k) ?? [];
      list.push(metricOf(row, m));
      groups.set(k, list);
    }
  }
  return sortPoints(groups, options.series);
}

function sortPoints(groups: Map<string, number[]>, order?: readonly string[]): CurvePoint[] {
  const points: CurvePoint[] = [];
  for (const [k, values] of groups) {
    const [series, metric, x] = JSON.parse(k) as [string, Metric, number];
    points.push({ series, x, metric, ...summarize(values) });
  }
  const rank = (s: string) => {
    const i = order ? order.indexOf(s) : -1;
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  };
  points.sort((a, b) =>
    rank(a.series) - rank(b.series) || compareStrings(a.series, b.series) ||
    compareStrings(a.metric, b.metric) || a.x - b.x
  );
  return points;
}

/** Code-point string comparison (locale-independent, so output bytes never depend on the host). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Where one stopping rule stopped, per alpha, over repeats. */
export interface StopPoint {
  alpha: number;
  queries: Summary;
  accuracy: Summary;
  agreement: Summary;
  /** Repeats in which the rule never fired (their numbers are the run's end). */
  censored: number;
}

/**
 * Whether a stopping evaluation belongs to the thesis's Fig. 7: the given rule, on an entropy run
 * (the thesis evaluated its stopping rule on the entropy strategy only).
 */
export function isThesisStop(s: StopResult, rule: string): boolean {
  return s.rule === rule && (s.strategy ?? "entropy") === "entropy";
}

/** Stopping points of one rule on one dataset, by increasing alpha. */
export function stopCurve(
  stops: readonly StopResult[],
  options: { dataset: string; rule: string },
): StopPoint[] {
  const byAlpha = new Map<number, StopResult[]>();
  for (const s of stops) {
    if (s.dataset !== options.dataset || !isThesisStop(s, options.rule)) continue;
    const list = byAlpha.get(s.alpha) ?? [];
    list.push(s);
    byAlpha.set(s.alpha, list);
  }
  return [...byAlpha.keys()].sort((a, b) => a - b).map((alpha) => {
    const list = byAlpha.get(alpha)!;
    return {
      alpha,
      queries: summarize(list.map((s) => s.queries)),
      accuracy: summarize(list.map((s) => s.test_accuracy)),
      agreement: summarize(list.map((s) => s.agreement)),
      censored: list.filter((s) => !s.stopped).length,
    };
  });
}

/** The distinct values of a field, sorted (strings by code point, numbers ascending). */
export function distinct<T extends string | number>(values: Iterable<T>): T[] {
  return [...new Set(values)].sort((a, b) =>
    typeof a === "number" && typeof b === "number" ? a - b : compareStrings(String(a), String(b))
  );
}
