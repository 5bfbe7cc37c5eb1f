/**
 * Stopping rules, evaluated on a finished run's trace (no extra training): for each rule and
 * threshold, the first round at which the rule would have stopped the loop.
 *
 * The thesis's alphas (0.005–0.1) are differences of **log10** entropy (its code computes
 * entropy with `torch.log10`), so the entropy rules work in log10 units unless their name says
 * `-nats`; the trace stores nats, and a difference in log10 units is the difference in nats
 * divided by ln 10 (a nats rule at the same alpha is about 2.3 times stricter).
 *
 * | rule | statistic | units | fires when |
 * |---|---|---|---|
 * | `batch-entropy` (default) | mean entropy of the batch selected in round i, under the substitute at selection time (round 0: the seed set) | log10 | `\|H(i-1) - H(i)\| <= alpha` (the thesis's Eq. 4, its text) |
 * | `batch-entropy:thesis-code` | the same | log10 | `\|H(i-1) - H(i)\| < alpha` (its code's `stopping_criteria`, strict) |
 * | `batch-entropy-nats` | the same | nats | `<= alpha` |
 * | `stopping-set-entropy` | mean entropy of a fixed stopping set after round i's training (Zhu et al. 2010's overall uncertainty, differenced) | log10 | `<= alpha` |
 * | `stabilizing-predictions` | Cohen's kappa between consecutive rounds' predictions on the stopping set (Bloodgood & Vijay-Shanker 2009) | – | its mean over the last `window` rounds `>= threshold` |
 *
 * A rule can fire from round 1 on (it compares with round 0). A round whose value is `null` (a
 * round that selected nothing) can neither fire nor be compared with.
 *
 * @module
 */

import type { TraceRow } from "./trace.ts";

/** The stopping rules, by name. */
export const STOPPING_RULES = [
  "batch-entropy",
  "batch-entropy:thesis-code",
  "batch-entropy-nats",
  "stopping-set-entropy",
  "stabilizing-predictions",
] as const;

/** A stopping rule's name. */
export type StoppingRuleName = typeof STOPPING_RULES[number];

/** Each rule in words, for captions and reports (the table in the module doc). */
export const STOPPING_RULE_TEXT: Readonly<Record<StoppingRuleName, string>> = {
  "batch-entropy":
    "|H(i-1) - H(i)| <= alpha on the mean log10 entropy of the selected batch (the thesis's Eq. 4, its units)",
  "batch-entropy:thesis-code":
    "|H(i-1) - H(i)| < alpha on the mean log10 entropy of the selected batch (the thesis code: strict <)",
  "batch-entropy-nats":
    "|H(i-1) - H(i)| <= alpha on the mean entropy of the selected batch in nats (about 2.3x stricter than log10)",
  "stopping-set-entropy":
    "|H(i-1) - H(i)| <= alpha on the mean log10 entropy of a fixed stopping set",
  "stabilizing-predictions":
    "mean Cohen's kappa between consecutive rounds' predictions on the stopping set, over a window, >= threshold",
};

/** Thresholds to evaluate. */
export interface StoppingConfig {
  /** The alphas of the entropy-difference rules (thesis: 0.005, 0.01, 0.05, 0.1). */
  alphas: readonly number[];
  /** Kappa thresholds of the stabilising-predictions rule (BV09: 0.99). */
  kappaThresholds?: readonly number[];
  /** Window of the stabilising-predictions rule, in rounds (BV09: 3). */
  kappaWindow?: number;
}

/** Where one rule at one threshold stops a trace. */
export interface StoppingResult {
  /** The rule. */
  rule: StoppingRuleName;
  /** Alpha (entropy rules) or kappa threshold (stabilising predictions). */
  threshold: number;
  /** Window in rounds (stabilising predictions), else `null`. */
  window: number | null;
  /** Whether the rule fired before the trace ended. */
  stopped: boolean;
  /** Round at which it fired, `null` for "never stopped". */
  round: number | null;
  /** Queries spent at that round. */
  queries: number | null;
  /** Test accuracy at that round. */
  test_accuracy: number | null;
  /** Agreement with the target at that round. */
  agreement: number | null;
}

function checkThreshold(value: number, what: string): void {
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`Invalid ${what}: expected a non-negative number, got ${value}`);
  }
}

/** The entropy of a trace row a rule reads, in that rule's units (`null`: nothing selected). */
function entropyDifference(
  prev: TraceRow,
  cur: TraceRow,
  rule: Exclude<StoppingRuleName, "stabilizing-predictions">,
): number | null {
  const onSet = rule === "stopping-set-entropy";
  const a = onSet ? prev.stopping_entropy : prev.batch_entropy;
  const b = onSet ? cur.stopping_entropy : cur.batch_entropy;
  if (a === null || b === null) return null;
  const d = Math.abs(a - b);
  return rule === "batch-entropy-nats" ? d : d / Math.LN10;
}

/**
 * The first round at which `rule` fires on `trace` at `threshold`, or `null` for never.
 *
 * @example Usage
 * ```ts
 * import { stopRound } from "./stopping.ts";
 * const row = (round: number, h: number) => ({
 *   round, queries: 100 * (round + 1), test_accuracy: 0.9, agreement: 0.9,
 *   batch_entropy: h, stopping_entropy: h, kappa: round === 0 ? null : 1,
 * });
 * const trace = [row(0, 1.0), row(1, 0.5), row(2, 0.45)];
 * console.assert(stopRound(trace, "batch-entropy", 0.05) === 2);
 * console.assert(stopRound(trace, "batch-entropy", 0.01) === null);
 * ```
 */
export function stopRound(
  trace: readonly TraceRow[],
  rule: StoppingRuleName,
  threshold: number,
  options: { window?: number } = {},
): number | null {
  checkThreshold(threshold, rule === "stabilizing-predictions" ? "kappa threshold" : "alpha");
  const window = options.window ?? 3;
  if (!Number.isInteger(window) || window <= 0) {
    throw new RangeError(`Invalid kappa window: expected a positive integer, got ${window}`);
  }
  for (let i = 1; i < trace.length; i++) {
    const prev = trace[i - 1]!;
    const cur = trace[i]!;
    switch (rule) {
      case "batch-entropy":
      case "batch-entropy:thesis-code":
      case "batch-entropy-nats":
      case "stopping-set-entropy": {
        const d = entropyDifference(prev, cur, rule);
        if (d === null) break;
        if (rule === "batch-entropy:thesis-code" ? d < threshold : d <= threshold) return cur.round;
        break;
      }
      case "stabilizing-predictions": {
        if (i + 1 < window) break;
        let sum = 0;
        let ok = true;
        for (let j = i - window + 1; j <= i; j++) {
          const kappa = trace[j]!.kappa;
          if (kappa === null) {
            ok = false;
            break;
          }
          sum += kappa;
        }
        if (ok && sum / window >= threshold) return cur.round;
        break;
      }
      default: {
        const never: never = rule;
        throw new RangeError(`Unknown stopping rule "${never}"`);
      }
    }
  }
  return null;
}

/**
 * Evaluates every rule at every threshold on a trace: entropy rules at each alpha, stabilising
 * predictions at each kappa threshold. Results are in rule order, then threshold order.
 *
 * @example Usage
 * ```ts
 * import { evaluateStopping } from "./stopping.ts";
 * const results = evaluateStopping([], { alphas: [0.01] });
 * console.assert(results.length === 3 && results.every((r) => !r.stopped));
 * ```
 */
export function evaluateStopping(
  trace: readonly TraceRow[],
  config: StoppingConfig,
): StoppingResult[] {
  const out: StoppingResult[] = [];
  const window = config.kappaWindow ?? 3;
  const result = (rule: StoppingRuleName, threshold: number): StoppingResult => {
    const isKappa = rule === "stabilizing-predictions";
    const round = stopRound(trace, rule, threshold, { window });
    const row = round === null ? undefined : trace.find((r) => r.round === round);
    return {
      rule,
      threshold,
      window: isKappa ? window : null,
      stopped: row !== undefined,
      round: row?.round ?? null,
      queries: row?.queries ?? null,
      test_accuracy: row?.test_accuracy ?? null,
      agreement: row?.agreement ?? null,
    };
  };
  for (const rule of STOPPING_RULES) {
    const thresholds = rule === "stabilizing-predictions"
      ? (config.kappaThresholds ?? [])
      : config.alphas;
    for (const t of thresholds) out.push(result(rule, t));
  }
  return out;
}
