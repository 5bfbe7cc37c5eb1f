/**
 * The input every selection strategy reads, and helpers to walk it.
 *
 * @module
 */

import type { Probs } from "./probs.ts";

/** What a strategy sees in one round. */
export interface SelectionInput {
  /** The substitute's predictions, one row per scored pool image (queried ones may be included). */
  readonly probs: Probs;
  /** Pool index of each row of `probs`; row `i` is pool index `i` when omitted. */
  readonly indices?: ArrayLike<number>;
  /** Pool indices already queried: never selected again. */
  readonly queried: ReadonlySet<number>;
  /**
   * The oracle's answers for the queried images (probability vectors, or one-hot rows for top-1
   * answers), any order. The clustering strategies fit their centres on these, as the thesis
   * code does.
   */
  readonly answers?: Probs;
  /**
   * The L2 norm of each row's DeepFool perturbation on the substitute (DFAL), one per row of
   * `probs`; queried rows may hold anything.
   */
  readonly perturbations?: Float64Array;
}

/** Options shared by the strategies. */
export interface SelectionOptions {
  /** How many images to select. */
  k: number;
  /** Seed of any random choice (random strategy, K-Means initialisation, uniform fill). */
  seed: number;
  /** N clusters of the text-variant clustering strategies (default 10). */
  clusters?: number;
  /**
   * Size of the entropy subset the text-variant combinations cluster within (default `10 * k`,
   * which is the thesis code's 10,000 at its batch of 1,000).
   */
  candidates?: number;
}

/** Pool index of each row. */
export function poolIndices(input: SelectionInput): Int32Array {
  const { probs, indices } = input;
  if (indices === undefined) return Int32Array.from({ length: probs.rows }, (_, i) => i);
  if (indices.length !== probs.rows) {
    throw new TypeError(
      `Invalid selection input: expected ${probs.rows} pool indices (one per row), got ${indices.length}`,
    );
  }
  const out = Int32Array.from(indices);
  const seen = new Set<number>();
  for (const i of out) {
    if (seen.has(i)) {
      throw new TypeError(`Invalid selection input: pool index ${i} appears twice`);
    }
    seen.add(i);
  }
  return out;
}

/** Rows whose pool index has not been queried, in ascending pool-index order. */
export function unqueriedRows(pool: Int32Array, queried: ReadonlySet<number>): number[] {
  const rows: number[] = [];
  for (let r = 0; r < pool.length; r++) if (!queried.has(pool[r]!)) rows.push(r);
  return rows.sort((a, b) => pool[a]! - pool[b]!);
}

/** Checks `k` is a non-negative integer. */
export function checkK(k: number): void {
  if (!Number.isInteger(k) || k < 0) {
    throw new RangeError(`Invalid batch size: expected a non-negative integer, got ${k}`);
  }
}
