/**
 * What the attacks need from a model: differentiable logits of NHWC images in [0, 1]. A
 * `lib/ml` classifier is one (`classifier.logits`); tests use tiny linear models. The helpers here
 * run the model in batches and free every tensor they make.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import type { Classifier } from "../ml/classifier.ts";

/** A differentiable classifier over images in [0, 1]. */
export interface AttackModel {
  /** Image shape `[height, width, channels]`. */
  readonly input: readonly [number, number, number];
  /** Number of classes. */
  readonly classes: number;
  /** Logits `[n, classes]` of `x` (`[n, h, w, c]`); the caller disposes the result. */
  logits(x: tf.Tensor4D): tf.Tensor2D;
}

/** A `lib/ml` classifier as the attacks see it: its input shape, classes and logits. */
export function attackModelOf(classifier: Classifier): AttackModel {
  return { input: classifier.spec.input, classes: classifier.classes, logits: classifier.logits };
}

/** Pixels per image. */
export function pixelsOf(model: AttackModel): number {
  const [h, w, c] = model.input;
  return h * w * c;
}

/** Images `[start, end)` of a flat array as a `[b, h, w, c]` tensor (caller disposes). */
export function batchTensor(
  model: AttackModel,
  x: Float32Array,
  start: number,
  end: number,
): tf.Tensor4D {
  const p = pixelsOf(model);
  const [h, w, c] = model.input;
  return tf.tensor4d(x.subarray(start * p, end * p), [end - start, h, w, c]);
}

/** Checks that `x` holds whole images and returns how many. */
export function countImages(model: AttackModel, x: Float32Array, what = "images"): number {
  const p = pixelsOf(model);
  if (x.length % p !== 0) {
    throw new RangeError(
      `Invalid ${what}: expected a multiple of ${p} values (one image is ${
        model.input.join("x")
      }), got ${x.length}`,
    );
  }
  return x.length / p;
}

/** Bytes 0–255 to floats in [0, 1]. */
export function toUnit(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i]! / 255;
  return out;
}

/** The model's top-1 class of each image (lower class on ties), in batches of `batch`. */
export function predictLabels(model: AttackModel, x: Float32Array, batch = 256): Int32Array {
  const n = countImages(model, x);
  const out = new Int32Array(n);
  for (let start = 0; start < n; start += batch) {
    const end = Math.min(n, start + batch);
    const labels = tf.tidy(() => tf.argMax(model.logits(batchTensor(model, x, start, end)), 1));
    out.set(labels.dataSync() as Int32Array, start);
    labels.dispose();
  }
  return out;
}

/**
 * The gradient of the summed cross-entropy of `labels` with respect to the input `x`
 * (`[b, h, w, c]`; one label per image); the caller disposes the result.
 */
export function lossGradient(
  model: AttackModel,
  x: tf.Tensor4D,
  labels: Int32Array,
): tf.Tensor4D {
  return tf.tidy(() => {
    const y = tf.oneHot(tf.tensor1d(labels, "int32"), model.classes);
    const loss = (input: tf.Tensor) =>
      tf.neg(tf.sum(tf.mul(y, tf.logSoftmax(model.logits(input as tf.Tensor4D)))));
    return tf.grad(loss)(x) as tf.Tensor4D;
  });
}

/**
 * Logits and the gradient of every class's logit with respect to the input (the Jacobian), for
 * `b` images: one backward pass over the batch repeated once per class. Returns plain arrays:
 * `logits` `b × C` and `jacobian` `C × b × pixels` (class-major).
 */
export function logitsAndJacobian(
  model: AttackModel,
  x: Float32Array,
): { logits: Float32Array; jacobian: Float32Array } {
  const b = countImages(model, x);
  const C = model.classes;
  const [h, w, c] = model.input;
  const [logits, jacobian] = tf.tidy(() => {
    const xt = tf.tensor4d(x, [b, h, w, c]);
    const repeated = tf.tile(xt, [C, 1, 1, 1]) as tf.Tensor4D;
    // Row c·b + i selects class c of image i.
    const mask = tf.oneHot(
      tf.tensor1d(Int32Array.from({ length: C * b }, (_, r) => Math.floor(r / b)), "int32"),
      C,
    );
    const objective = (input: tf.Tensor) =>
      tf.sum(tf.mul(model.logits(input as tf.Tensor4D), mask));
    return [model.logits(xt), tf.grad(objective)(repeated)];
  });
  const out = {
    logits: logits.dataSync() as Float32Array,
    jacobian: jacobian.dataSync() as Float32Array,
  };
  tf.dispose([logits, jacobian]);
  return out;
}
