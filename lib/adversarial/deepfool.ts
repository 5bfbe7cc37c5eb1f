/**
 * DeepFool (Moosavi-Dezfooli, Fawzi & Frossard, CVPR 2016), the multi-class version: at each
 * step, linearise every class's logit around the current point, move to the nearest linearised
 * decision boundary (plus 1e-4, as the authors' code does), and stop once the label changes.
 * The reported point is `x + (1 + overshoot) · r` with `r` the summed steps; its L2 norm is what
 * DFAL (ActiveThief) ranks pool images by: a small norm means close to the substitute's boundary.
 *
 * The step itself is pure ({@linkcode deepfoolStep}); the model only supplies logits and input
 * gradients ({@linkcode logitsAndJacobian}). Pixels are not clipped (the distance to the boundary
 * is what is measured, not an image to show).
 *
 * @module
 */

import {
  type AttackModel,
  countImages,
  logitsAndJacobian,
  pixelsOf,
  predictLabels,
} from "./model.ts";

/** DeepFool's options. */
export interface DeepFoolOptions {
  /** Added to the summed step at the end (default 0.02, the paper's). */
  readonly overshoot?: number;
  /** Most linearisation steps per image (default 50, the authors' code). */
  readonly maxSteps?: number;
  /** Images per Jacobian batch (default 32; the batch is repeated once per class). */
  readonly batch?: number;
}

/** DeepFool's result per image. */
export interface DeepFoolResult {
  /** `x + (1 + overshoot) · r`, row-major like `x`. */
  readonly adversarial: Float32Array;
  /** `‖(1 + overshoot) · r‖₂`; Infinity when no class gradient differs (no direction to move). */
  readonly norms: Float64Array;
  /** Steps taken. */
  readonly steps: Int32Array;
  /** Whether the label changed within the step cap. */
  readonly fooled: Uint8Array;
}

/**
 * One DeepFool step for one image: given its logits and the input gradient of each class's logit
 * (`gradOf(k)`), the smallest move `(|f_l| + 1e-4) · w_l / ‖w_l‖` onto the nearest linearised
 * boundary, where `w_k = ∇f_k − ∇f_k0` and `f_k = logit_k − logit_k0`. `null` when every
 * `w_k` is zero.
 *
 * @example On a linear model the step lands on the boundary
 * ```ts
 * import { deepfoolStep } from "./deepfool.ts";
 * // f0 = x, f1 = 1 - x, at x = 0.2: the boundary is at 0.5.
 * const grads = [Float32Array.of(1), Float32Array.of(-1)];
 * const r = deepfoolStep(Float32Array.of(0.2, 0.8), (k) => grads[k]!, 1)!;
 * console.assert(Math.abs(0.2 + r[0]! - 0.5) < 1e-3);
 * ```
 */
export function deepfoolStep(
  logits: ArrayLike<number>,
  gradOf: (k: number) => ArrayLike<number>,
  k0: number,
): Float32Array | null {
  const g0 = gradOf(k0);
  const p = g0.length;
  let best = -1;
  let bestDist = Infinity;
  let bestNorm = 0;
  for (let k = 0; k < logits.length; k++) {
    if (k === k0) continue;
    const gk = gradOf(k);
    let s = 0;
    for (let i = 0; i < p; i++) {
      const d = gk[i]! - g0[i]!;
      s += d * d;
    }
    const norm = Math.sqrt(s);
    if (norm === 0) continue;
    const dist = Math.abs(logits[k]! - logits[k0]!) / norm;
    if (dist < bestDist) {
      best = k;
      bestDist = dist;
      bestNorm = norm;
    }
  }
  if (best < 0) return null;
  const gb = gradOf(best);
  const scale = (bestDist + 1e-4) / bestNorm;
  const r = new Float32Array(p);
  for (let i = 0; i < p; i++) r[i] = (gb[i]! - g0[i]!) * scale;
  return r;
}

/** The images of `active` whose current point still has its original label; marks the rest fooled. */
function stillUnfooled(
  model: AttackModel,
  active: readonly number[],
  pointOf: (j: number, out: Float32Array, at: number) => void,
  p: number,
  k0: Int32Array,
  fooled: Uint8Array,
): number[] {
  const xi = new Float32Array(active.length * p);
  active.forEach((j, a) => pointOf(j, xi, a * p));
  const labels = predictLabels(model, xi);
  return active.filter((j, a) => {
    if (labels[a] === k0[j]) return true;
    fooled[j] = 1;
    return false;
  });
}

/** Runs DeepFool on every image of `x` (row-major, values in [0, 1]). */
export function deepfool(
  model: AttackModel,
  x: Float32Array,
  options: DeepFoolOptions = {},
): DeepFoolResult {
  const overshoot = options.overshoot ?? 0.02;
  const maxSteps = options.maxSteps ?? 50;
  const batch = options.batch ?? 32;
  if (!(Number.isInteger(maxSteps) && maxSteps >= 0)) {
    throw new RangeError(
      `Invalid DeepFool step cap: expected a non-negative integer, got ${maxSteps}`,
    );
  }
  const n = countImages(model, x);
  const p = pixelsOf(model);
  const C = model.classes;
  const k0 = predictLabels(model, x);
  const r = new Float32Array(x.length);
  const steps = new Int32Array(n);
  const fooled = new Uint8Array(n);
  const dead = new Uint8Array(n);
  const pointOf = (j: number, out: Float32Array, at: number) => {
    for (let i = 0; i < p; i++) out[at + i] = x[j * p + i]! + (1 + overshoot) * r[j * p + i]!;
  };
  let active = Array.from({ length: n }, (_, j) => j);
  for (let step = 0; active.length > 0; step++) {
    // A cheap forward pass first: only images still on their side need a Jacobian.
    if (step > 0) active = stillUnfooled(model, active, pointOf, p, k0, fooled);
    if (step === maxSteps) break;
    const next: number[] = [];
    for (let start = 0; start < active.length; start += batch) {
      const chunk = active.slice(start, start + batch);
      const b = chunk.length;
      const xi = new Float32Array(b * p);
      chunk.forEach((j, a) => pointOf(j, xi, a * p));
      const { logits, jacobian } = logitsAndJacobian(model, xi);
      chunk.forEach((j, a) => {
        const gradOf = (k: number) => jacobian.subarray((k * b + a) * p, (k * b + a + 1) * p);
        const ri = deepfoolStep(logits.subarray(a * C, (a + 1) * C), gradOf, k0[j]!);
        if (ri === null) {
          dead[j] = 1;
          return;
        }
        for (let i = 0; i < p; i++) r[j * p + i]! += ri[i]!;
        steps[j] = step + 1;
        next.push(j);
      });
    }
    active = next;
  }
  const adversarial = new Float32Array(x.length);
  const norms = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    pointOf(j, adversarial, j * p);
    let s = 0;
    for (let i = 0; i < p; i++) s += ((1 + overshoot) * r[j * p + i]!) ** 2;
    norms[j] = dead[j] ? Infinity : Math.sqrt(s);
  }
  return { adversarial, norms, steps, fooled };
}
