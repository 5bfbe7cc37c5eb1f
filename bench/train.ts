/**
 * `deno task bench train [--vs-torch] [--json] [--seconds S] [--rounds R] [--threads N]`: training
 * (batch 64)
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

/** The median of some numbers (the upper one of the middle two). */
export function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/**
 * Times training and inference on the current tfjs backend for about `seconds` each, split in
 * `rounds` windows; returns the median window's rate (the machine is shared, so noisy).
 */
export function measureTfjs(seconds: number, rounds = 3): Throughput {
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
    const rates: number[] = [];
    let n = 0;
    for (let r = 0; r < rounds; r++) {
      let steps = 0;
      const start = performance.now();
      let elapsed = 0;
      while (elapsed < (seconds * 1000) / rounds || steps < 3) {
        step(n++);
        steps++;
        elapsed = performance.now() - start;
      }
      rates.push((steps * samples) / (elapsed / 1000));
    }
    return median(rates);
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

/** PyTorch's figures from `bench/torch_train.py`, or why there are none. */
export interface TorchResult {
  "1": Throughput;
  "2": Throughput;
  blas: string;
  version: string;
}

const PYTHON = "/usr/bin/python3";

/** Whether `/usr/bin/python3` can import torch. */
export async function torchAvailable(): Promise<boolean> {
  try {
    const out = await new Deno.Command(PYTHON, {
      args: ["-c", "import torch"],
      stdout: "null",
      stderr: "null",
    }).output();
    return out.success;
  } catch {
    return false;
  }
}

/** Runs the PyTorch peer on the same synthetic data, with 1 and 2 threads. */
export async function measureTorch(seconds: number, rounds = 3): Promise<TorchResult> {
  const data = makeData(DATA_SIZE, 1);
  const file = await Deno.makeTempFile({ prefix: "quarry-bench-", suffix: ".bin" });
  try {
    const bytes = new Uint8Array(data.x.byteLength + data.y.byteLength);
    bytes.set(new Uint8Array(data.x.buffer), 0);
    bytes.set(new Uint8Array(data.y.buffer), data.x.byteLength);
    await Deno.writeFile(file, bytes);
    const script = new URL("./torch_train.py", import.meta.url).pathname;
    const out = await new Deno.Command(PYTHON, {
      args: [
        script,
        "--data",
        file,
        "--n",
        String(DATA_SIZE),
        "--seconds",
        String(seconds),
        "--rounds",
        String(rounds),
        "--threads",
        "1,2",
        "--train-batch",
        String(TRAIN_BATCH),
        "--infer-batch",
        String(INFER_BATCH),
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      throw new Error(
        `bench/torch_train.py failed (exit ${out.code}): ${new TextDecoder().decode(out.stderr)}`,
      );
    }
    const parsed = JSON.parse(new TextDecoder().decode(out.stdout)) as {
      torch: string;
      blas: string;
      threads: Record<"1" | "2", Throughput>;
    };
    return {
      "1": parsed.threads["1"],
      "2": parsed.threads["2"],
      blas: parsed.blas,
      version: parsed.torch,
    };
  } finally {
    await Deno.remove(file);
  }
}

/** The `--json` object of issue 5 (samples/s, rounded; ratios to 3 decimals). */
export interface BenchResult {
  model: string;
  tfjs: { train: number; infer: number; threads: number; backend: string };
  torch: { "1": Throughput; "2": Throughput; blas: string; version: string } | null;
  ratio: { train_vs_torch2: number; infer_vs_torch2: number } | null;
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
      rounds: { type: "string", default: "3" },
    },
  });
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) {
    throw new RangeError(
      `Invalid --rounds for bench train: expected a positive integer, got ${values.rounds}`,
    );
  }
  const seconds = Number(values.seconds);
  if (!(seconds > 0)) {
    throw new RangeError(
      `Invalid --seconds for bench train: expected a positive number, got ${values.seconds}`,
    );
  }
  const threads = Number(values.threads);
  const backend = await initBackend({ threads });
  const tfjs = measureTfjs(seconds, rounds);
  let torch: TorchResult | null = null;
  let skipped = "";
  if (values["vs-torch"]) {
    if (await torchAvailable()) torch = await measureTorch(seconds, rounds);
    else skipped = `PyTorch: skipped (${PYTHON} cannot import torch)`;
  }
  const result: BenchResult = {
    model: "lenet5: conv5x5x20-pool2-conv5x5x50-pool2-dense500-dense10, rmsprop",
    tfjs: { train: round(tfjs.train), infer: round(tfjs.infer), threads, backend },
    torch: torch === null ? null : {
      "1": { train: round(torch["1"].train), infer: round(torch["1"].infer) },
      "2": { train: round(torch["2"].train), infer: round(torch["2"].infer) },
      blas: torch.blas,
      version: torch.version,
    },
    ratio: torch === null ? null : {
      train_vs_torch2: round3(tfjs.train / torch["2"].train),
      infer_vs_torch2: round3(tfjs.infer / torch["2"].infer),
    },
  };
  if (values.json) {
    console.log(JSON.stringify(result));
    return;
  }
  const line = (name: string, t: Throughput) =>
    `${name.padEnd(34)} ${String(round(t.train)).padStart(7)} ${
      String(round(t.infer)).padStart(7)
    }`;
  console.log(`model: ${result.model}; train batch ${TRAIN_BATCH}, infer batch ${INFER_BATCH}`);
  console.log(`${"engine".padEnd(34)} ${"train/s".padStart(7)} ${"infer/s".padStart(7)}`);
  console.log(line(`tfjs ${backend} (${threads} thread${threads > 1 ? "s" : ""})`, tfjs));
  if (torch !== null && result.ratio !== null) {
    console.log(line(`PyTorch ${torch.version}, 1 thread`, torch["1"]));
    console.log(line(`PyTorch ${torch.version}, 2 threads`, torch["2"]));
    console.log(`PyTorch BLAS: ${torch.blas}`);
    console.log(
      `ratio tfjs / PyTorch 2 threads: train ${result.ratio.train_vs_torch2}, infer ${result.ratio.infer_vs_torch2}`,
    );
  } else if (skipped) {
    console.log(skipped);
  }
}

function round(x: number): number {
  return Math.round(x);
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

if (import.meta.main) {
  await main(Deno.args);
}
