/**
 * Row-major class-probability matrices: what a classifier returns for a batch of images, one row
 * per image, one column per class. Every strategy, seeding method and score reads this shape.
 *
 * @module
 */

/** A rows × classes matrix of class probabilities, row-major. */
export interface Probs {
  /** The values, `rows * classes` of them, row-major. */
  readonly data: Float32Array;
  /** Number of rows (images). */
  readonly rows: number;
  /** Number of columns (classes). */
  readonly classes: number;
}

/**
 * Wraps a flat row-major array as a {@linkcode Probs}; checks the shape.
 *
 * @example Usage
 * ```ts
 * import { createProbs } from "./probs.ts";
 * const p = createProbs(new Float32Array([0.5, 0.5, 1, 0]), 2);
 * console.assert(p.rows === 2);
 * ```
 */
export function createProbs(data: Float32Array, classes: number): Probs {
  if (!Number.isInteger(classes) || classes <= 0) {
    throw new RangeError(`Invalid class count: expected a positive integer, got ${classes}`);
  }
  if (data.length % classes !== 0) {
    throw new TypeError(
      `Invalid probabilities: expected a length divisible by ${classes} classes, got ${data.length}`,
    );
  }
  return { data, rows: data.length / classes, classes };
}

/**
 * Builds a {@linkcode Probs} from nested rows (handy in tests and examples).
 *
 * @example Usage
 * ```ts
 * import { probsFromRows } from "./probs.ts";
 * console.assert(probsFromRows([[0.2, 0.8], [1, 0]]).classes === 2);
 * ```
 */
export function probsFromRows(rows: readonly (readonly number[])[]): Probs {
  if (rows.length === 0) {
    throw new TypeError("Invalid probabilities: expected at least one row, got none");
  }
  const classes = rows[0]!.length;
  const data = new Float32Array(rows.length * classes);
  rows.forEach((row, i) => {
    if (row.length !== classes) {
      throw new TypeError(
        `Invalid probabilities: expected ${classes} values in row ${i}, got ${row.length}`,
      );
    }
    data.set(row, i * classes);
  });
  return { data, rows: rows.length, classes };
}

/** A view of row `i` (no copy). */
export function probsRow(p: Probs, i: number): Float32Array {
  return p.data.subarray(i * p.classes, (i + 1) * p.classes);
}

/**
 * A new {@linkcode Probs} holding the given rows of `p`, in the given order.
 *
 * @example Usage
 * ```ts
 * import { probsFromRows, takeRows } from "./probs.ts";
 * const p = takeRows(probsFromRows([[1, 0], [0, 1]]), [1]);
 * console.assert(p.data[1] === 1);
 * ```
 */
export function takeRows(p: Probs, rows: ArrayLike<number>): Probs {
  const out = new Float32Array(rows.length * p.classes);
  for (let r = 0; r < rows.length; r++) {
    const i = rows[r]!;
    if (!Number.isInteger(i) || i < 0 || i >= p.rows) {
      throw new RangeError(`Invalid row: expected an integer in [0, ${p.rows}), got ${i}`);
    }
    out.set(probsRow(p, i), r * p.classes);
  }
  return { data: out, rows: rows.length, classes: p.classes };
}

/**
 * The predicted class of each row: the column of the largest value, the lower column on ties (so
 * a row of zeros predicts class 0).
 *
 * @example Usage
 * ```ts
 * import { argmaxRows, probsFromRows } from "./probs.ts";
 * console.assert(argmaxRows(probsFromRows([[0.1, 0.9], [0.5, 0.5]]))[1] === 0);
 * ```
 */
export function argmaxRows(p: Probs): Int32Array {
  const out = new Int32Array(p.rows);
  for (let i = 0; i < p.rows; i++) {
    const base = i * p.classes;
    let best = 0;
    let bestValue = p.data[base]!;
    for (let c = 1; c < p.classes; c++) {
      const v = p.data[base + c]!;
      if (v > bestValue) {
        best = c;
        bestValue = v;
      }
    }
    out[i] = best;
  }
  return out;
}

/** One-hot rows for integer labels: what a top-1 oracle answer trains on. */
export function oneHot(labels: ArrayLike<number>, classes: number): Probs {
  const data = new Float32Array(labels.length * classes);
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i]!;
    if (!Number.isInteger(c) || c < 0 || c >= classes) {
      throw new RangeError(
        `Invalid label at ${i}: expected an integer in [0, ${classes}), got ${c}`,
      );
    }
    data[i * classes + c] = 1;
  }
  return { data, rows: labels.length, classes };
}
