/**
 * The report side of Quarry: results normalised from the stages' files, aggregation over
 * repeats, Vega-Lite specs of the thesis's Figures 2–7 rendered to SVG, claim verdicts and the
 * self-contained HTML report.
 *
 * @module
 */

export * from "./results.ts";
export * from "./aggregate.ts";
export * from "./specs.ts";
export * from "./render.ts";
export * from "./figures.ts";
export * from "./claims.ts";
export * from "./html.ts";
export * from "./targets.ts";
export * from "./load.ts";
export * from "./stage_params.ts";
