/**
 * The per-round trace of an active-learning run: what the loop writes (as `trace.json` and
 * `trace.csv`, columns in this order) and what stopping rules, figures and the report read.
 *
 * @module
 */

/** One round of the loop. Round 0 is the substitute trained on the seed set. */
export interface TraceRow {
  /** 0 for the seed round, then 1, 2, … */
  round: number;
  /** Queries spent so far, validation split included. */
  queries: number;
  /** Substitute accuracy on the true test labels. */
  test_accuracy: number;
  /** Fraction of test images on which substitute and target agree (fidelity). */
  agreement: number;
  /**
   * Mean entropy (under the substitute at selection time) of the batch selected in this round;
   * for round 0, of the seed set. `null` when the round selected nothing.
   */
  batch_entropy: number | null;
  /** Mean entropy of the substitute on the fixed stopping set after this round's training. */
  stopping_entropy: number;
  /** Cohen's kappa between this and the previous round's predictions on the stopping set; `null` in round 0. */
  kappa: number | null;
}

/** Column order of `trace.csv`. */
export const TRACE_COLUMNS: readonly (keyof TraceRow)[] = [
  "round",
  "queries",
  "test_accuracy",
  "agreement",
  "batch_entropy",
  "stopping_entropy",
  "kappa",
];
