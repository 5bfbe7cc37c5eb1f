/**
 * The network behind a classifier: explicit tfjs variables built from a {@linkcode ModelSpec},
 * initialised from our own seeded generator (Glorot-uniform kernels, zero biases, as Keras does),
 * so the same seed gives the same weights on every backend and machine.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import type { NamedTensor } from "../data/tensor_file.ts";
import { createRng, deriveSeed } from "../util/random.ts";
import { CONV_RELU_POOL } from "./kernels/names.ts";
import { type ModelSpec, paramShapes } from "./spec.ts";

/**
 * Seeded initial weights as plain arrays, in {@linkcode paramShapes} order: Glorot-uniform
 * kernels (limit sqrt(6 / (fan_in + fan_out))) and zero biases.
 */
export function initialWeights(spec: ModelSpec, seed: number): NamedTensor[] {
  const rng = createRng(deriveSeed(seed, "init"));
  return paramShapes(spec).map((p) => {
    const size = p.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(size);
    if (p.fans !== null) {
      const limit = Math.sqrt(6 / (p.fans[0] + p.fans[1]));
      for (let i = 0; i < size; i++) data[i] = (rng.next() * 2 - 1) * limit;
    }
    return { name: p.name, shape: p.shape, data };
  });
}

/** A network's variables and forward pass. */
export interface Network {
  /** The architecture. */
  readonly spec: ModelSpec;
  /** Trainable variables, in {@linkcode paramShapes} order. */
  readonly variables: readonly tf.Variable[];
  /** Logits `[n, classes]` for NHWC input `[n, h, w, c]` in [0, 1]. Caller disposes. */
  logits(x: tf.Tensor4D): tf.Tensor2D;
  /**
   * The same logits, bit for bit, for prediction only (no gradient): where the backend has our
   * `QuarryConvReluPool` kernel, each convolution layer with a 2x2 max-pool runs as one kernel.
   */
  predictLogits(x: tf.Tensor4D): tf.Tensor2D;
  /** Copies of the current weights, in order. */
  getWeights(): NamedTensor[];
  /** Replaces the weights; names and shapes must match. */
  setWeights(weights: readonly NamedTensor[]): void;
  /** Frees the variables. */
  dispose(): void;
}

/** Builds a network with weights from {@linkcode initialWeights}. */
export function createNetwork(spec: ModelSpec, seed: number): Network {
  const shapes = paramShapes(spec);
  const variables = initialWeights(spec, seed).map((w) =>
    tf.tidy(() => tf.variable(tf.tensor(w.data, [...w.shape], "float32"), true, undefined))
  );
  const nConv = spec.conv.length;
  const nDense = spec.dense.length + 1;
  const forward = (x: tf.Tensor4D, fusedPool: boolean): tf.Tensor2D =>
    tf.tidy(() => {
      let h: tf.Tensor4D = x;
      for (let i = 0; i < nConv; i++) {
        const [filter, bias] = [variables[2 * i] as tf.Tensor4D, variables[2 * i + 1]!];
        const pool = spec.conv[i]!.pool;
        if (fusedPool && pool === 2) {
          h = tf.engine().runKernel(CONV_RELU_POOL, { x: h, filter, bias }, {}) as tf.Tensor4D;
          continue;
        }
        h = tf.fused.conv2d({ x: h, filter, strides: 1, pad: "valid", bias, activation: "relu" });
        if (pool > 1) h = tf.maxPool(h, pool, pool, "valid");
      }
      let z: tf.Tensor2D = tf.reshape(h, [h.shape[0], -1]);
      for (let j = 0; j < nDense; j++) {
        const k = 2 * (nConv + j);
        z = tf.fused.matMul({
          a: z,
          b: variables[k] as tf.Tensor2D,
          bias: variables[k + 1],
          activation: j < nDense - 1 ? "relu" : "linear",
        }) as tf.Tensor2D;
      }
      return z;
    });
  const hasFusedPool = () =>
    tf.getBackend() === "wasm" && tf.getKernel(CONV_RELU_POOL, "wasm") !== undefined;
  return {
    spec,
    variables,
    logits: (x) => forward(x, false),
    predictLogits: (x) => forward(x, hasFusedPool()),
    getWeights: () =>
      variables.map((v, i) => ({
        name: shapes[i]!.name,
        shape: shapes[i]!.shape,
        data: (v.dataSync() as Float32Array).slice(),
      })),
    setWeights(weights: readonly NamedTensor[]): void {
      if (weights.length !== shapes.length) {
        throw new TypeError(
          `Invalid weights: expected ${shapes.length} tensors for this model, got ${weights.length}`,
        );
      }
      weights.forEach((w, i) => {
        const want = shapes[i]!;
        if (w.name !== want.name || w.shape.join("x") !== want.shape.join("x")) {
          throw new TypeError(
            `Invalid weights: expected tensor ${i} to be "${want.name}" [${want.shape}], ` +
              `got "${w.name}" [${w.shape}]`,
          );
        }
        if (!(w.data instanceof Float32Array)) {
          throw new TypeError(`Invalid weights: expected float32 data for "${w.name}"`);
        }
      });
      weights.forEach((w, i) => {
        tf.tidy(() => variables[i]!.assign(tf.tensor(w.data, [...w.shape], "float32")));
      });
    },
    dispose(): void {
      for (const v of variables) v.dispose();
    },
  };
}
