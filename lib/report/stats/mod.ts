/**
 * The arithmetic of the verdicts: Student's t (computed here), paired t-tests and intervals,
 * Holm–Bonferroni, TOST equivalence, least-squares slopes, and the verdict rules over them.
 *
 * @module
 */

export * from "./tdist.ts";
export * from "./paired.ts";
export * from "./holm.ts";
export * from "./tost.ts";
export * from "./slope.ts";
export * from "./verdict.ts";
