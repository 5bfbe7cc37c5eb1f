/**
 * `deno task bench train [--vs-torch] [--json] [--seconds S] [--threads N]`: training (batch 64)
 * and inference (batch 512) throughput, in samples/s, of the default model (DESIGN §3: conv 5x5x20
 * relu, max-pool 2, conv 5x5x50 relu, max-pool 2, dense 500 relu, dense 10; RMSProp) on the tfjs
 * wasm backend; with `--vs-torch`, the same model, batches and data in PyTorch (1 and 2 threads)
 * in the same run, when `/usr/bin/python3` can import torch.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import { parseArgs } from "node:util";
import { initBackend } from "../lib/ml/backend.ts";

/** Training batch size of the benchmark. */
export const TRAIN_BATCH = 64;
/** Inference batch size of the benchmark. */
export const INFER_BATCH = 512;
/** Samples in the synthetic data set the benchmark cycles through. */
export const DATA_SIZE = 2048;

/** The default model's parameters, NHWC / [in, out] layouts as tfjs uses them. */
export interface LeNet {
  conv1: tf.Variable<tf.Rank.R4>;
  bias1: tf.Variable<tf.Rank.R1>;
  conv2: tf.Variable<tf.Rank.R4>;
  bias2: tf.Variable<tf.Rank.R1>;
  dense1: tf.Variable<tf.Rank.R2>;
  bias3: tf.Variable<tf.Rank.R1>;
  dense2: tf.Variable<tf.Rank.R2>;
  bias4: tf.Variable<tf.Rank.R1>;
}

/** Glorot-uniform weights and zero biases, seeded. */
export function makeLeNet(seed: number): LeNet {
  const glorot = (shape: number[], fanIn: number, fanOut: number, s: number) => {
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    return tf.randomUniform(shape, -limit, limit, "float32", seed * 16 + s);
  };
  return {
    conv1: tf.variable(glorot([5, 5, 1, 20], 25, 500, 1) as tf.Tensor4D),
    bias1: tf.variable(tf.zeros([20]) as tf.Tensor1D),
    conv2: tf.variable(glorot([5, 5, 20, 50], 500, 1250, 2) as tf.Tensor4D),
    bias2: tf.variable(tf.zeros([50]) as tf.Tensor1D),
    dense1: tf.variable(glorot([800, 500], 800, 500, 3) as tf.Tensor2D),
    bias3: tf.variable(tf.zeros([500]) as tf.Tensor1D),
    dense2: tf.variable(glorot([500, 10], 500, 10, 4) as tf.Tensor2D),
    bias4: tf.variable(tf.zeros([10]) as tf.Tensor1D),
  };
}

/** Logits of the default model for NHWC images `x` [n, 28, 28, 1]. */
export function forward(m: LeNet, x: tf.Tensor4D): tf.Tensor2D {
  return tf.tidy(() => {
    let h: tf.Tensor4D = tf.relu(tf.add(tf.conv2d(x, m.conv1, 1, "valid"), m.bias1));
    h = tf.maxPool(h, 2, 2, "valid");
    h = tf.relu(tf.add(tf.conv2d(h, m.conv2, 1, "valid"), m.bias2));
    h = tf.maxPool(h, 2, 2, "valid");
    const flat = tf.reshape(h, [h.shape[0], 800]);
    const d = tf.relu(tf.add(tf.matMul(flat, m.dense1), m.bias3));
    return tf.add(tf.matMul(d, m.dense2), m.bias4);
  });
}

/** One RMSProp step on a batch; returns nothing (the loss stays on the device). */
export function trainStep(
  m: LeNet,
  optimizer: tf.Optimizer,
  x: tf.Tensor4D,
  labels: tf.Tensor2D,
): void {
  const cost = optimizer.minimize(
    () => tf.losses.softmaxCrossEntropy(labels, forward(m, x)) as tf.Scalar,
    false,
    Object.values(m),
  );
  cost?.dispose();
}

/** Deterministic synthetic data: images in [0, 1) and one-hot labels. */
export function makeData(n: number, seed: number): { x: Float32Array; y: Int32Array } {
  const x = new Float32Array(n * 784);
  const y = new Int32Array(n);
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = 0; i < x.length; i++) x[i] = next();
  for (let i = 0; i < n; i++) y[i] = Math.floor(next() * 10);
  return { x, y };
}

/** Measured throughputs, in samples/s. */
export interface Throughput {
  train: number;
  infer: number;
}

/** Times training and inference on the current tfjs backend for about `seconds` each. */
export function measureTfjs(seconds: number): Throughput {
  const data = makeData(DATA_SIZE, 1);
  const m = makeLeNet(1);
  const optimizer = tf.train.rmsprop(0.001);
  const xs = tf.tensor4d(data.x, [DATA_SIZE, 28, 28, 1]);
  const ys = tf.oneHot(tf.tensor1d(data.y, "int32"), 10).toFloat() as tf.Tensor2D;
  const batches = DATA_SIZE / TRAIN_BATCH;
  const trainBatches = Array.from({ length: batches }, (_, i) => ({
    x: tf.slice(xs, [i * TRAIN_BATCH, 0, 0, 0], [TRAIN_BATCH, 28, 28, 1]),
    y: tf.slice(ys, [i * TRAIN_BATCH, 0], [TRAIN_BATCH, 10]),
  }));
  const inferBatches = Array.from(
    { length: DATA_SIZE / INFER_BATCH },
    (_, i) => tf.slice(xs, [i * INFER_BATCH, 0, 0, 0], [INFER_BATCH, 28, 28, 1]),
  );
  const timeLoop = (step: (i: number) => void, samples: number): number => {
    for (let i = 0; i < 3; i++) step(i); // warm-up
    let n = 0;
    const start = performance.now();
    let elapsed = 0;
    while (elapsed < seconds * 1000 || n < 5) {
      step(n++);
      elapsed = performance.now() - start;
    }
    return (n * samples) / (elapsed / 1000);
  };
  const train = timeLoop((i) => {
    const b = trainBatches[i % batches]!;
    trainStep(m, optimizer, b.x, b.y);
    m.bias4.dataSync(); // wait for the step
  }, TRAIN_BATCH);
  const infer = timeLoop((i) => {
    const logits = forward(m, inferBatches[i % inferBatches.length]!);
    logits.dataSync();
    logits.dispose();
  }, INFER_BATCH);
  for (const b of trainBatches) tf.dispose([b.x, b.y]);
  tf.dispose([xs, ys, ...inferBatches, ...Object.values(m)]);
  optimizer.dispose();
  return { train, infer };
}

/** Runs the benchmark; see the module doc for flags. */
export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      "vs-torch": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      seconds: { type: "string", default: "5" },
      threads: { type: "string", default: "1" },
    },
  });
  const seconds = Number(values.seconds);
  if (!(seconds > 0)) {
    throw new RangeError(
      `Invalid --seconds for bench train: expected a positive number, got ${values.seconds}`,
    );
  }
  const threads = Number(values.threads);
  const backend = await initBackend({ threads });
  const tfjs = measureTfjs(seconds);
  const result = {
    model: "lenet5x5-20-50-500-10",
    tfjs: { backend, train: round(tfjs.train), infer: round(tfjs.infer), threads },
    torch: null,
    ratio: null,
  };
  if (values.json) {
    console.log(JSON.stringify(result));
  } else {
    console.log(
      `tfjs ${backend} (${threads} thread): train ${result.tfjs.train} samples/s (batch ${TRAIN_BATCH}), infer ${result.tfjs.infer} samples/s (batch ${INFER_BATCH})`,
    );
  }
}

function round(x: number): number {
  return Math.round(x);
}

if (import.meta.main) {
  await main(Deno.args);
}
