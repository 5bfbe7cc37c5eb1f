/**
 * Classification metrics on plain arrays: argmax of probability rows, accuracy, per-class
 * accuracy, and agreement between two labelings (fidelity of a substitute to its target).
 *
 * @module
 */

/**
 * The index of the largest value of each row of `probs` (row-major, `classes` per row); ties go
 * to the lowest index.
 *
 * @example
 * ```ts
 * import { argmaxRows } from "./metrics.ts";
 * const labels = argmaxRows(new Float32Array([0.1, 0.9, 0.7, 0.3]), 2);
 * console.assert(labels[0] === 1 && labels[1] === 0);
 * ```
 */
export function argmaxRows(probs: ArrayLike<number>, classes: number): Uint8Array {
  if (!Number.isInteger(classes) || classes < 1 || classes > 256) {
    throw new RangeError(`Invalid classes: expected an integer in 1..256, got ${classes}`);
  }
  if (probs.length % classes !== 0) {
    throw new TypeError(
      `Invalid probabilities: length ${probs.length} is not a multiple of ${classes} classes`,
    );
  }
  const n = probs.length / classes;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bestValue = probs[i * classes]!;
    for (let c = 1; c < classes; c++) {
      const v = probs[i * classes + c]!;
      if (v > bestValue) {
        bestValue = v;
        best = c;
      }
    }
    out[i] = best;
  }
  return out;
}

function checkLengths(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  if (a.length !== b.length) {
    throw new TypeError(`Invalid ${what}: expected equal lengths, got ${a.length} and ${b.length}`);
  }
}

/** Fraction of positions where `predicted` equals `labels` (0 for empty input). */
export function accuracy(predicted: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkLengths(predicted, labels, "accuracy inputs");
  let hits = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) hits++;
  return labels.length === 0 ? 0 : hits / labels.length;
}

/**
 * Agreement (fidelity): the fraction of examples on which two labelings agree, e.g. substitute
 * vs target predictions on the test set. Same arithmetic as {@linkcode accuracy}.
 */
export function agreement(a: ArrayLike<number>, b: ArrayLike<number>): number {
  checkLengths(a, b, "agreement inputs");
  return accuracy(a, b);
}

/** Accuracy within each true class; `null` for a class with no examples. */
export function perClassAccuracy(
  predicted: ArrayLike<number>,
  labels: ArrayLike<number>,
  classes: number,
): (number | null)[] {
  checkLengths(predicted, labels, "per-class accuracy inputs");
  const hits = new Array<number>(classes).fill(0);
  const totals = new Array<number>(classes).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    if (label < 0 || label >= classes) {
      throw new RangeError(`Invalid label at index ${i}: expected 0..${classes - 1}, got ${label}`);
    }
    totals[label]!++;
    if (predicted[i] === label) hits[label]!++;
  }
  return totals.map((t, c) => (t === 0 ? null : hits[c]! / t));
}

/** Confusion counts: `matrix[true][predicted]`. */
export function confusionMatrix(
  predicted: ArrayLike<number>,
  labels: ArrayLike<number>,
  classes: number,
): number[][] {
  checkLengths(predicted, labels, "confusion matrix inputs");
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < labels.length; i++) m[labels[i]!]![predicted[i]!]!++;
  return m;
}
