/**
 * The ActiveThief loop and its parts: the oracle (query counting, budget), uncertainty scores,
 * seeding (random, the thesis's cluster seeding), the selection strategies (the thesis's and
 * ActiveThief's k-center, with the thesis code's quirks as `:thesis-code` variants), stopping
 * rules evaluated on a trace, and the per-round trace contract.
 *
 * Everything here except the loop is a pure function over probability rows, tested on tiny
 * hand-made pools. The tfjs adapters (`classifier_learner.ts`) and the stages' file handling
 * (`experiment.ts`) load tfjs and are imported directly, not through this module.
 *
 * @module
 */

export * from "./distances.ts";
export * from "./kappa.ts";
export * from "./kmeans.ts";
export * from "./oracle.ts";
export * from "./probs.ts";
export * from "./quotas.ts";
export * from "./scores.ts";
export * from "./seeding.ts";
export * from "./selection.ts";
export * from "./stopping.ts";
export * from "./strategies.ts";
export * from "./trace.ts";
export * from "./learner.ts";
export * from "./loop.ts";
export * from "./round.ts";
export * from "./trace_io.ts";
export * from "./params.ts";
export * from "./stopping_summary.ts";
