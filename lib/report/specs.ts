/**
 * Vega-Lite specs for the thesis's Figures 2–7, drawn as the thesis drew them (one chart per
 * dataset) with the mean over repeats as a line, the min–max over repeats as a band, and
 * agreement with the target in a panel beside accuracy.
 *
 * @module
 */

import type { CurvePoint, StopPoint } from "./aggregate.ts";
import type { StopResult } from "./results.ts";
import { seriesLabel } from "./results.ts";

/** A Vega-Lite spec as plain JSON. */
export type VlSpec = Record<string, unknown>;

const SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";
const PANEL_WIDTH = 300;
const PANEL_HEIGHT = 220;
/** Accuracy and agreement as percentages, trailing zeros trimmed (95%, 95.5%). */
const PCT_AXIS = { format: ".1~%" };
const METRIC_TITLES = { accuracy: "Test accuracy", agreement: "Agreement with target" } as const;

/** Rounds to 6 decimals so float noise never reaches the SVG bytes. */
function r6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** A point's x and its mean/min/max band, rounded for the SVG bytes. */
function band(p: { x: number; mean: number; min: number; max: number; n: number }) {
  return { x: p.x, mean: r6(p.mean), min: r6(p.min), max: r6(p.max), n: p.n };
}

/** The x encoding of a curve: ticks at the points' x values when there are few (<= 12). */
function xEncoding(points: readonly { x: number }[], title: string) {
  const xs = [...new Set(points.map((p) => p.x))].sort((a, b) => a - b);
  return {
    field: "x",
    type: "quantitative",
    title,
    scale: { zero: false },
    ...(xs.length > 0 && xs.length <= 12 ? { axis: { values: xs } } : {}),
  };
}

/** Options of {@linkcode curveSpec}. */
export interface CurveSpecOptions {
  title: string;
  /** Axis title of x, e.g. "Queries" or "Seed size". */
  xTitle: string;
  /** Series ids in legend order; default: order of first appearance. */
  series?: readonly string[];
  /** Label of a series id; default {@linkcode seriesLabel}. */
  label?: (series: string) => string;
}

/**
 * A learning-curve figure: mean accuracy (left) and agreement (right) against x, one line per
 * series, with the min–max band over repeats.
 *
 * @example Usage
 * ```ts
 * import { curveSpec } from "./specs.ts";
 * import { equal } from "node:assert/strict";
 * const spec = curveSpec([], { title: "Fig. 3", xTitle: "Queries" });
 * equal(spec.title, "Fig. 3");
 * ```
 */
export function curveSpec(points: readonly CurvePoint[], options: CurveSpecOptions): VlSpec {
  const label = options.label ?? seriesLabel;
  const order = options.series ?? [...new Set(points.map((p) => p.series))];
  const values = points.map((p) => ({
    series: label(p.series),
    panel: METRIC_TITLES[p.metric],
    ...band(p),
  }));
  const color = {
    field: "series",
    type: "nominal",
    title: null,
    scale: { domain: order.map(label) },
    legend: {
      orient: "bottom",
      columns: 3,
      symbolType: "stroke",
      symbolOpacity: 1,
      symbolStrokeWidth: 2.5,
    },
  };
  const x = xEncoding(points, options.xTitle);
  return twoPanels(options.title, values, [
    {
      mark: { type: "area", opacity: 0.18 },
      encoding: {
        x,
        y: {
          field: "min",
          type: "quantitative",
          title: null,
          scale: { zero: false },
          axis: PCT_AXIS,
        },
        y2: { field: "max" },
        color,
      },
    },
    {
      mark: { type: "line", point: true, strokeWidth: 1.6 },
      encoding: {
        x,
        y: {
          field: "mean",
          type: "quantitative",
          title: null,
          scale: { zero: false },
          axis: PCT_AXIS,
        },
        color,
      },
    },
  ]);
}

/**
 * Fig. 7: where the entropy stopping rule stopped, per alpha. Each repeat is a small point
 * (queries at stop, accuracy or agreement at stop), each alpha's mean a large point with
 * min–max whiskers on both axes.
 */
export function stopSpec(
  stops: readonly StopResult[],
  points: readonly StopPoint[],
  options: { title: string },
): VlSpec {
  const alphaLabel = (a: number) => `α = ${a}`;
  const order = points.map((p) => alphaLabel(p.alpha));
  const values: Record<string, unknown>[] = [];
  for (const s of stops) {
    for (const m of ["accuracy", "agreement"] as const) {
      values.push({
        kind: "repeat",
        alpha: alphaLabel(s.alpha),
        panel: METRIC_TITLES[m],
        queries: s.queries,
        stop: s.stopped ? "stopped" : "never stopped (run's end)",
        value: r6(m === "accuracy" ? s.test_accuracy : s.agreement),
      });
    }
  }
  for (const p of points) {
    for (const m of ["accuracy", "agreement"] as const) {
      const v = m === "accuracy" ? p.accuracy : p.agreement;
      values.push({
        kind: "mean",
        alpha: alphaLabel(p.alpha),
        panel: METRIC_TITLES[m],
        queries: r6(p.queries.mean),
        qmin: p.queries.min,
        qmax: p.queries.max,
        value: r6(v.mean),
        vmin: r6(v.min),
        vmax: r6(v.max),
      });
    }
  }
  const color = {
    field: "alpha",
    type: "nominal",
    title: null,
    scale: { domain: order },
    legend: { orient: "bottom" },
  };
  const x = {
    field: "queries",
    type: "quantitative",
    title: "Queries at stop",
    scale: { zero: false },
  };
  const y = {
    field: "value",
    type: "quantitative",
    title: null,
    scale: { zero: false },
    axis: PCT_AXIS,
  };
  const isMean = { filter: "datum.kind === 'mean'" };
  return twoPanels(options.title, values, [
    {
      transform: [{ filter: "datum.kind === 'repeat'" }],
      mark: { type: "point", opacity: 0.6, size: 30 },
      encoding: {
        x,
        y,
        color,
        shape: {
          field: "stop",
          type: "nominal",
          title: null,
          scale: { domain: ["stopped", "never stopped (run's end)"], range: ["circle", "cross"] },
          legend: { orient: "bottom" },
        },
      },
    },
    {
      transform: [isMean],
      mark: { type: "rule" },
      encoding: { x: { ...x, field: "qmin" }, x2: { field: "qmax" }, y, color },
    },
    {
      transform: [isMean],
      mark: { type: "rule" },
      encoding: { x, y: { ...y, field: "vmin" }, y2: { field: "vmax" }, color },
    },
    {
      transform: [isMean],
      mark: { type: "point", filled: true, size: 110, shape: "diamond" },
      encoding: { x, y, color },
    },
  ]);
}

/**
 * The frame both figure kinds share: accuracy and agreement side by side (one facet column per
 * metric), each panel with its own y scale, the given layers drawn in each.
 */
function twoPanels(title: string, values: unknown[], layer: unknown[]): Record<string, unknown> {
  return facetColumns(
    title,
    values,
    [METRIC_TITLES.accuracy, METRIC_TITLES.agreement],
    { width: PANEL_WIDTH, height: PANEL_HEIGHT, layer },
    { scale: { y: "independent" } },
  );
}

/** One facet column per `panel` value (in `order`), each drawing `spec`. */
function facetColumns(
  title: string,
  values: unknown[],
  order: string[],
  spec: Record<string, unknown>,
  resolve?: Record<string, unknown>,
): Record<string, unknown> {
  return {
    $schema: SCHEMA,
    title,
    data: { values },
    facet: { column: { field: "panel", type: "nominal", title: null, sort: order } },
    spec,
    ...(resolve === undefined ? {} : { resolve }),
    config: CONFIG,
  };
}

const CONFIG = {
  font: "sans-serif",
  view: { stroke: "#ccc" },
  axis: { labelFontSize: 11, titleFontSize: 12, grid: true, gridColor: "#eee" },
  legend: { labelFontSize: 11, labelLimit: 260 },
  header: { labelFontSize: 12 },
  title: { fontSize: 14, anchor: "start" },
};

/** A point of {@linkcode transferSpec}: a series (strategy, `ceiling` or `floor`) at one eps and x. */
export interface TransferSpecPoint {
  series: string;
  eps: number;
  x: number;
  mean: number;
  min: number;
  max: number;
  n: number;
}

const BASELINE_LABELS: Readonly<Record<string, string>> = {
  ceiling: "Ceiling: white box on the target",
  floor: "Floor: random ±ε signs",
};

/**
 * Transfer success against queries, one panel per eps: one line per strategy (mean over repeats,
 * min–max band), the white-box ceiling and the noise floor dashed.
 */
export function transferSpec(
  points: readonly TransferSpecPoint[],
  options: { title: string; series?: readonly string[] },
): VlSpec {
  const label = (s: string) => BASELINE_LABELS[s] ?? seriesLabel(s);
  const strategies = options.series ??
    [...new Set(points.map((p) => p.series))].filter((s) => !(s in BASELINE_LABELS));
  const order = [...strategies, "ceiling", "floor"].map(label);
  const epsOrder = [...new Set(points.map((p) => p.eps))].sort((a, b) => a - b);
  const values = points.map((p) => ({
    series: label(p.series),
    kind: p.series in BASELINE_LABELS ? "baseline" : "strategy",
    panel: `ε = ${p.eps}`,
    ...band(p),
  }));
  const color = {
    field: "series",
    type: "nominal",
    title: null,
    scale: { domain: order },
    // Opaque symbols: the legend would take the band layer's opacity (0.15) and be near white.
    legend: {
      orient: "bottom",
      columns: 3,
      symbolType: "stroke",
      symbolStrokeWidth: 2.5,
      symbolOpacity: 1,
    },
  };
  const x = xEncoding(points, "Queries");
  const y = {
    field: "mean",
    type: "quantitative",
    title: null,
    scale: { domain: [0, 1] },
    axis: PCT_AXIS,
  };
  return facetColumns(
    options.title,
    values,
    epsOrder.map((e) => `ε = ${e}`),
    {
      width: 220,
      height: PANEL_HEIGHT,
      layer: [
        {
          transform: [{ filter: "datum.kind === 'strategy'" }],
          mark: { type: "area", opacity: 0.15 },
          encoding: { x, y: { ...y, field: "min" }, y2: { field: "max" }, color },
        },
        {
          mark: { type: "line", point: true, strokeWidth: 1.6 },
          encoding: {
            x,
            y,
            color,
            strokeDash: {
              field: "kind",
              type: "nominal",
              legend: null,
              scale: { domain: ["strategy", "baseline"], range: [[1, 0], [5, 3]] },
            },
          },
        },
      ],
    },
  );
}
