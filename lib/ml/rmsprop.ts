/**
 * RMSProp as tfjs's `tf.train.rmsprop` (non-centered) computes it, bit for bit, but one fused
 * kernel per variable where the backend has one (`QuarryRMSProp`, registered for wasm by
 * `kernels/`), and tfjs's own chain of element-wise ops elsewhere.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs-core";
 * import "@tensorflow/tfjs-backend-cpu";
 * import { RMSProp } from "./rmsprop.ts";
 *
 * await tf.setBackend("cpu");
 * const w = tf.variable(tf.tensor1d([1, 2]), true, "w-example");
 * const optimizer = new RMSProp({ learningRate: 0.1 });
 * tf.tidy(() => optimizer.applyGradients({ "w-example": tf.tensor1d([0.5, -0.5]) }));
 * const moved = w.dataSync(); // ≈ [0.684, 2.316]: each moves by lr / sqrt(1 - decay)
 * if (!(moved[0]! < 1 && moved[1]! > 2)) throw new Error("expected a step against the gradient");
 * optimizer.dispose();
 * w.dispose();
 * ```
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import { QUARRY_RMSPROP, type RMSPropAttrs } from "./kernels/rmsprop.ts";

/** Hyper-parameters of {@linkcode RMSProp}, with tfjs's defaults. */
export interface RMSPropOptions {
  /** Step size. */
  readonly learningRate: number;
  /** Decay of the mean square (default 0.9). */
  readonly decay?: number;
  /** Momentum (default 0). */
  readonly momentum?: number;
  /** Added under the square root (default 1e-7). */
  readonly epsilon?: number;
}

/** New value, mean square and moment. */
type Step = [tf.Tensor, tf.Tensor, tf.Tensor];

interface Slots {
  meanSquare: tf.Variable;
  moment: tf.Variable;
}

/**
 * The optimizer: `applyGradients` with the `grads` of `tf.variableGrads`. `learningRate` may be
 * changed between steps (e.g. a per-epoch decay). Call `dispose()` to free its accumulators.
 */
export class RMSProp {
  /** Step size of the next `applyGradients`. */
  learningRate: number;
  readonly #decay: number;
  readonly #momentum: number;
  readonly #epsilon: number;
  readonly #slots = new Map<string, Slots>();

  /** An optimizer with empty (zero) accumulators. */
  constructor(options: RMSPropOptions) {
    this.learningRate = options.learningRate;
    this.#decay = options.decay ?? 0.9;
    this.#momentum = options.momentum ?? 0;
    this.#epsilon = options.epsilon ?? 1e-7;
  }

  /** One step for each registered variable named in `grads`, in their order. */
  applyGradients(grads: tf.NamedTensorMap): void {
    const fused = tf.getKernel(QUARRY_RMSPROP, tf.getBackend()) !== undefined;
    for (const [name, gradient] of Object.entries(grads)) {
      const value = tf.engine().registeredVariables[name];
      if (value === undefined) {
        throw new TypeError(`lib/ml/rmsprop.ts: no variable named "${name}" to update`);
      }
      const slots = this.#slotsOf(name, value);
      tf.tidy(() => {
        const [v, ms, mom] = fused
          ? this.#fusedStep(value, slots, gradient)
          : this.#opsStep(value, slots, gradient);
        slots.meanSquare.assign(ms);
        slots.moment.assign(mom);
        value.assign(v);
      });
    }
  }

  /** Frees the accumulators. */
  dispose(): void {
    for (const { meanSquare, moment } of this.#slots.values()) tf.dispose([meanSquare, moment]);
    this.#slots.clear();
  }

  #slotsOf(name: string, value: tf.Variable): Slots {
    let slots = this.#slots.get(name);
    if (slots === undefined) {
      slots = {
        meanSquare: tf.tidy(() => tf.variable(tf.zerosLike(value), false)),
        moment: tf.tidy(() => tf.variable(tf.zerosLike(value), false)),
      };
      this.#slots.set(name, slots);
    }
    return slots;
  }

  #fusedStep(value: tf.Tensor, slots: Slots, gradient: tf.Tensor): Step {
    const attrs: RMSPropAttrs = {
      learningRate: this.learningRate,
      decay: this.#decay,
      momentum: this.#momentum,
      epsilon: this.#epsilon,
    };
    return tf.engine().runKernel(QUARRY_RMSPROP, {
      value,
      meanSquare: slots.meanSquare,
      moment: slots.moment,
      gradient,
    }, attrs as unknown as tf.NamedAttrMap) as Step;
  }

  /** tfjs's `RMSPropOptimizer.applyGradients`, op for op. */
  #opsStep(value: tf.Tensor, slots: Slots, gradient: tf.Tensor): Step {
    const ms = tf.add(
      tf.mul(slots.meanSquare, this.#decay),
      tf.mul(tf.square(gradient), 1 - this.#decay),
    );
    const mom = tf.add(
      tf.mul(slots.moment, this.#momentum),
      tf.div(tf.mul(gradient, this.learningRate), tf.sqrt(tf.add(ms, this.#epsilon))),
    );
    return [tf.sub(value, mom), ms, mom];
  }
}
