/**
 * Untargeted L-infinity attacks on images in [0, 1]: FGSM (Goodfellow et al. 2015), PGD with a
 * seeded random start (Madry et al. 2018), and the noise floor (random ±eps signs). Labels default
 * to the attacked model's own predictions (cleverhans' default, which also avoids label leaking):
 * the attacker does not know the true labels of the images it perturbs.
 *
 * Every result stays within `eps` of the input in each pixel and inside [0, 1].
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import { createRng } from "../util/random.ts";
import {
  type AttackModel,
  batchTensor,
  countImages,
  lossGradient,
  predictLabels,
} from "./model.ts";

/** Options shared by FGSM and PGD. */
export interface LinfOptions {
  /** The L-infinity radius. */
  readonly eps: number;
  /** The labels whose loss is raised (default: the model's predictions on `x`). */
  readonly labels?: Int32Array;
  /** Images per gradient batch (default 256). */
  readonly batch?: number;
}

/** PGD's options. */
export interface PgdOptions extends LinfOptions {
  /** Gradient steps (default 10). */
  readonly steps?: number;
  /** Step size (default eps / 4). */
  readonly stepSize?: number;
  /** Seed of the random start, uniform in the eps-ball. */
  readonly seed: number;
}

function checkEps(eps: number): void {
  if (!(Number.isFinite(eps) && eps >= 0)) {
    throw new RangeError(`Invalid eps: expected a finite number >= 0, got ${eps}`);
  }
}

/**
 * Projects `x` in place onto the eps-ball around `origin` and onto [0, 1] (pure).
 *
 * @example
 * ```ts
 * import { project } from "./attacks.ts";
 * const x = Float32Array.of(0.9, -0.2, 0.5);
 * project(x, Float32Array.of(0.5, 0.1, 0.45), 0.1);
 * console.assert(Math.abs(x[0]! - 0.6) < 1e-6 && x[1] === 0 && x[2] === 0.5);
 * ```
 */
export function project(x: Float32Array, origin: Float32Array, eps: number): Float32Array {
  for (let i = 0; i < x.length; i++) {
    const o = origin[i]!;
    const v = Math.min(o + eps, Math.max(o - eps, x[i]!));
    x[i] = Math.min(1, Math.max(0, v));
  }
  return x;
}

/**
 * Random sign noise: each pixel moved by +eps or -eps (seeded), clipped to [0, 1]. The floor
 * a transfer attack must beat.
 */
export function signNoise(x: Float32Array, eps: number, seed: number): Float32Array {
  checkEps(eps);
  const rng = createRng(seed);
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    out[i] = Math.min(1, Math.max(0, x[i]! + (rng.next() < 0.5 ? -eps : eps)));
  }
  return out;
}

/** One signed gradient step `x + size · sign(∇loss)` for every image, in batches (new array). */
function signStep(
  model: AttackModel,
  x: Float32Array,
  labels: Int32Array,
  size: number,
  batch: number,
): Float32Array {
  const n = countImages(model, x);
  const out = new Float32Array(x.length);
  const p = x.length / Math.max(1, n);
  for (let start = 0; start < n; start += batch) {
    const end = Math.min(n, start + batch);
    const moved = tf.tidy(() => {
      const xt = batchTensor(model, x, start, end);
      const g = lossGradient(model, xt, labels.subarray(start, end));
      return tf.add(xt, tf.mul(tf.sign(g), size));
    });
    out.set(moved.dataSync() as Float32Array, start * p);
    moved.dispose();
  }
  return out;
}

function labelsFor(model: AttackModel, x: Float32Array, options: LinfOptions): Int32Array {
  const n = countImages(model, x);
  const labels = options.labels ?? predictLabels(model, x, options.batch ?? 256);
  if (labels.length !== n) {
    throw new RangeError(`Invalid labels: expected ${n} (one per image), got ${labels.length}`);
  }
  return labels;
}

/** FGSM: one step of `eps · sign(∇loss)`, clipped to [0, 1]. Returns new images. */
export function fgsm(model: AttackModel, x: Float32Array, options: LinfOptions): Float32Array {
  checkEps(options.eps);
  const labels = labelsFor(model, x, options);
  const out = signStep(model, x, labels, options.eps, options.batch ?? 256);
  return project(out, x, options.eps);
}

/**
 * PGD: a seeded uniform start in the eps-ball, then `steps` signed gradient steps of `stepSize`,
 * each projected back onto the eps-ball and [0, 1]. Returns new images.
 */
export function pgd(model: AttackModel, x: Float32Array, options: PgdOptions): Float32Array {
  const { eps, seed } = options;
  checkEps(eps);
  const steps = options.steps ?? 10;
  const stepSize = options.stepSize ?? eps / 4;
  if (!(Number.isInteger(steps) && steps >= 0)) {
    throw new RangeError(`Invalid steps: expected a non-negative integer, got ${steps}`);
  }
  if (!(Number.isFinite(stepSize) && stepSize >= 0)) {
    throw new RangeError(`Invalid step size: expected a finite number >= 0, got ${stepSize}`);
  }
  const labels = labelsFor(model, x, options);
  const rng = createRng(seed);
  let adv: Float32Array = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) adv[i] = x[i]! + (rng.next() * 2 - 1) * eps;
  project(adv, x, eps);
  for (let s = 0; s < steps; s++) {
    adv = project(signStep(model, adv, labels, stepSize, options.batch ?? 256), x, eps);
  }
  return adv;
}
