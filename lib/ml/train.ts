/**
 * The pieces of training and inference that do not depend on a particular model: input checks,
 * batch assembly from uint8 images, the cross-entropy loss (hard labels or probability vectors)
 * and the options and history types of `Classifier.fit`.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";

/**
 * Images, row-major `n × height × width × channels`: `Uint8Array` pixels in 0..255 (scaled to
 * [0, 1] inside, so tensor-file data can be passed directly) or `Float32Array` already in [0, 1]
 * (e.g. adversarial examples).
 */
export type Images = Uint8Array | Float32Array;

/**
 * Training targets: `Uint8Array`/`Int32Array` hold one class index per image (hard labels);
 * `Float32Array` holds one probability vector per image (`n × classes`, e.g. an oracle's soft
 * answers).
 */
export type Targets = Uint8Array | Int32Array | Float32Array;

/** One epoch's figures. */
export interface EpochLog {
  /** 0-based epoch index. */
  readonly epoch: number;
  /** Mean training cross-entropy over the epoch. */
  readonly loss: number;
  /** Training accuracy against the argmax of the targets. */
  readonly accuracy: number;
  /** Validation loss, when there is validation data. */
  readonly val_loss?: number;
  /** Validation accuracy, when there is validation data. */
  readonly val_accuracy?: number;
}

/** What `fit` did. */
export interface History {
  /** One entry per epoch run. */
  readonly epochs: EpochLog[];
  /**
   * With validation, the epoch with the best monitored value (whose weights the model holds when
   * `restoredBest`); without, the last epoch. -1 when no epoch ran.
   */
  readonly bestEpoch: number;
  /** Whether early stopping ended training before `epochs`. */
  readonly stoppedEarly: boolean;
  /** Whether the best epoch's weights were restored at the end. */
  readonly restoredBest: boolean;
}

/** Validation data passed explicitly (e.g. a queried validation split). */
export interface ValidationData {
  /** Validation images. */
  readonly x: Images;
  /** Validation targets. */
  readonly y: Targets;
}

/** Options of `Classifier.fit`. */
export interface FitOptions {
  /** Maximum number of passes over the data. */
  readonly epochs: number;
  /** Mini-batch size (default 64). */
  readonly batchSize?: number;
  /**
   * Multiplies the learning rate by this factor after every epoch of this call (default 1: a
   * constant rate); epoch `e` trains at `learningRate * lrDecay^e`. Damps the epoch-to-epoch
   * swing of test accuracy that a constant RMSProp rate leaves.
   */
  readonly lrDecay?: number;
  /** Shuffle each epoch with the classifier's seeded stream (default true). */
  readonly shuffle?: boolean;
  /** Explicit validation data; takes precedence over `validationSplit`. */
  readonly validation?: ValidationData;
  /** Fraction in (0, 1) of the data held out (seeded) for validation. */
  readonly validationSplit?: number;
  /** Stop after this many epochs without improvement of `monitor` (needs validation). */
  readonly patience?: number;
  /** What early stopping and best-weights tracking watch (default `"val_loss"`). */
  readonly monitor?: "val_loss" | "val_accuracy";
  /** Restore the best epoch's weights at the end (default true when there is validation). */
  readonly restoreBest?: boolean;
  /** Called after every batch with batches done and the planned total (for progress bars). */
  readonly onBatch?: (done: number, total: number) => void;
  /** Called after every epoch. */
  readonly onEpoch?: (log: EpochLog) => void;
}

/** The number of images in `x` for a given image size. */
export function countImages(x: Images, pixels: number, what = "images"): number {
  if (!(x instanceof Uint8Array) && !(x instanceof Float32Array)) {
    throw new TypeError(`Invalid ${what}: expected a Uint8Array or Float32Array`);
  }
  if (x.length % pixels !== 0) {
    throw new TypeError(
      `Invalid ${what}: length ${x.length} is not a multiple of ${pixels} values per image`,
    );
  }
  return x.length / pixels;
}

/** Checks targets against `n` images and `classes`. */
export function checkTargets(y: Targets, n: number, classes: number, what = "targets"): void {
  if (y instanceof Float32Array) {
    if (y.length !== n * classes) {
      throw new TypeError(
        `Invalid ${what}: probability vectors need ${n} x ${classes} = ${
          n * classes
        } values, got ${y.length}`,
      );
    }
    for (let i = 0; i < y.length; i++) {
      const v = y[i]!;
      if (!(v >= 0 && v <= 1)) {
        throw new RangeError(`Invalid ${what}: probability at ${i} must be in [0, 1], got ${v}`);
      }
    }
  } else if (y instanceof Uint8Array || y instanceof Int32Array) {
    if (y.length !== n) {
      throw new TypeError(`Invalid ${what}: expected ${n} labels, got ${y.length}`);
    }
    for (let i = 0; i < n; i++) {
      const v = y[i]!;
      if (v < 0 || v >= classes) {
        throw new RangeError(
          `Invalid ${what}: label at ${i} must be in 0..${classes - 1}, got ${v}`,
        );
      }
    }
  } else {
    throw new TypeError(`Invalid ${what}: expected Uint8Array, Int32Array or Float32Array`);
  }
}

/** Copies images `indices[start..end)` into `out` as floats in [0, 1]. */
export function fillImages(
  x: Images,
  indices: ArrayLike<number>,
  start: number,
  end: number,
  pixels: number,
  out: Float32Array,
): void {
  const scale = x instanceof Uint8Array ? 1 / 255 : 1;
  for (let b = 0, i = start; i < end; i++, b++) {
    const src = indices[i]! * pixels;
    const dst = b * pixels;
    if (scale === 1) out.set(x.subarray(src, src + pixels), dst);
    else for (let p = 0; p < pixels; p++) out[dst + p] = x[src + p]! * scale;
  }
}

/** Copies targets `indices[start..end)` into `out` as probability rows (one-hot for labels). */
export function fillTargets(
  y: Targets,
  indices: ArrayLike<number>,
  start: number,
  end: number,
  classes: number,
  out: Float32Array,
): void {
  out.fill(0, 0, (end - start) * classes);
  for (let b = 0, i = start; i < end; i++, b++) {
    const row = indices[i]!;
    if (y instanceof Float32Array) {
      out.set(y.subarray(row * classes, row * classes + classes), b * classes);
    } else out[b * classes + y[row]!] = 1;
  }
}

/** Per-example cross-entropy `-Σ p log softmax(logits)`, shape `[n]`. */
export function crossEntropyPerExample(logits: tf.Tensor2D, targets: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => tf.neg(tf.sum(tf.mul(targets, tf.logSoftmax(logits)), 1)));
}

/** Number of rows where argmax of `logits` equals argmax of `targets`, as a float scalar. */
export function countCorrect(logits: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() =>
    tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.argMax(targets, 1)), "float32"))
  );
}
