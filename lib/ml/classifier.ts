/**
 * A seeded image classifier with the operations the experiments need: `fit` (RMSProp,
 * cross-entropy, seeded shuffling, optional validation with early stopping and best-weights
 * restore), `predictProba` (batched), re-initialisation, and deterministic weights bytes.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import { createRng, deriveSeed, type Rng } from "../util/random.ts";
import { canonicalJson } from "../util/json.ts";
import type { NamedTensor } from "../data/tensor_file.ts";
import { createNetwork, initialWeights, type Network } from "./model.ts";
import { LENET, type ModelSpec } from "./spec.ts";
import {
  checkTargets,
  countCorrect,
  countImages,
  crossEntropyPerExample,
  type EpochLog,
  fillImages,
  fillTargets,
  type FitOptions,
  type History,
  type Images,
  type Targets,
} from "./train.ts";
import { decodeWeights, encodeWeights } from "./weights.ts";
import { RMSProp } from "./rmsprop.ts";

/** RMSProp settings (Keras defaults). */
export interface OptimizerOptions {
  /** Step size (default 0.001). */
  readonly learningRate?: number;
  /** Decay of the mean square (default 0.9). */
  readonly rho?: number;
  /** Added under the square root (default 1e-7). */
  readonly epsilon?: number;
}

/** Options of {@linkcode createClassifier}. */
export interface ClassifierOptions {
  /** Seed of the initial weights and of the shuffling stream (default 0). */
  readonly seed?: number;
  /** RMSProp settings. */
  readonly optimizer?: OptimizerOptions;
  /** Batch size of `predictProba` (default 512). */
  readonly predictBatchSize?: number;
}

/** A trainable classifier; call `dispose()` when done. */
export interface Classifier {
  /** The architecture. */
  readonly spec: ModelSpec;
  /** Number of classes it predicts (`spec.classes`). */
  readonly classes: number;
  /** The seed of the current initialisation. */
  readonly seed: number;
  /** Trains in place; see {@linkcode FitOptions}. Deterministic for a given seed and call sequence. */
  fit(x: Images, y: Targets, options: FitOptions): Promise<History>;
  /** Class probabilities, row-major `n × classes`. */
  predictProba(x: Images): Float32Array;
  /**
   * Logits `[n, classes]` for NHWC input `[n, h, w, c]` in [0, 1], differentiable with respect
   * to the input (the adversarial attacks). Caller disposes.
   */
  logits(x: tf.Tensor4D): tf.Tensor2D;
  /** Re-draws the initial weights (from `seed`, default the current one) and resets the
   * optimizer and the shuffling stream: the state right after {@linkcode createClassifier}. */
  reinitialize(seed?: number): void;
  /** Copies of the weights, in spec order. */
  getWeights(): NamedTensor[];
  /** Replaces the weights (names and shapes must match the spec). */
  setWeights(weights: readonly NamedTensor[]): void;
  /** The weights as a weights file (deterministic bytes, spec included). */
  saveWeights(): Uint8Array;
  /** Loads a weights file written by `saveWeights` for the same spec. */
  loadWeights(bytes: Uint8Array, source?: string): void;
  /** Frees all tensors. */
  dispose(): void;
}

const positiveInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0;

function checkFitOptions(o: FitOptions): void {
  if (!(Number.isInteger(o.epochs) && o.epochs >= 0)) {
    throw new RangeError(`Invalid epochs: expected a non-negative integer, got ${o.epochs}`);
  }
  if (o.batchSize !== undefined && !positiveInt(o.batchSize)) {
    throw new RangeError(`Invalid batch size: expected a positive integer, got ${o.batchSize}`);
  }
  if (o.validationSplit !== undefined && !(o.validationSplit >= 0 && o.validationSplit < 1)) {
    throw new RangeError(
      `Invalid validation split: expected a number in [0, 1), got ${o.validationSplit}`,
    );
  }
  if (o.lrDecay !== undefined && !(o.lrDecay > 0 && o.lrDecay <= 1)) {
    throw new RangeError(
      `Invalid learning-rate decay: expected a number in (0, 1], got ${o.lrDecay}`,
    );
  }
  if (o.patience !== undefined && !(Number.isInteger(o.patience) && o.patience >= 0)) {
    throw new RangeError(`Invalid patience: expected a non-negative integer, got ${o.patience}`);
  }
}

/**
 * Creates a classifier with seeded initial weights.
 *
 * @example
 * ```ts ignore
 * import { createClassifier, initBackend, LENET } from "./mod.ts";
 * await initBackend();
 * const model = createClassifier(LENET, { seed: 1 });
 * const history = await model.fit(images, labels, { epochs: 5, batchSize: 64 });
 * const probs = model.predictProba(testImages); // Float32Array, n × 10
 * model.dispose();
 * ```
 */
export function createClassifier(
  spec: ModelSpec = LENET,
  options: ClassifierOptions = {},
): Classifier {
  let seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed)) {
    throw new RangeError(`Invalid seed: expected a safe integer, got ${seed}`);
  }
  const opt = options.optimizer ?? {};
  const learningRate = opt.learningRate ?? 0.001;
  if (!(learningRate > 0)) {
    throw new RangeError(`Invalid learning rate: expected a positive number, got ${learningRate}`);
  }
  const predictBatch = options.predictBatchSize ?? 512;
  if (!positiveInt(predictBatch)) {
    throw new RangeError(
      `Invalid predict batch size: expected a positive integer, got ${predictBatch}`,
    );
  }
  const [height, width, channels] = spec.input;
  const pixels = height * width * channels;
  const classes = spec.classes;
  const makeOptimizer = () =>
    new RMSProp({ learningRate, decay: opt.rho ?? 0.9, epsilon: opt.epsilon ?? 1e-7 });

  const net: Network = createNetwork(spec, seed);
  let optimizer = makeOptimizer();
  let shuffleRng: Rng = createRng(deriveSeed(seed, "shuffle"));

  /** Sum of loss and number correct over `indices` of (x, y), batched; no training. */
  const evaluateLoss = (x: Images, y: Targets, indices: ArrayLike<number>) => {
    let loss = 0;
    let correct = 0;
    const xb = new Float32Array(predictBatch * pixels);
    const yb = new Float32Array(predictBatch * classes);
    for (let start = 0; start < indices.length; start += predictBatch) {
      const end = Math.min(indices.length, start + predictBatch);
      const b = end - start;
      fillImages(x, indices, start, end, pixels, xb);
      fillTargets(y, indices, start, end, classes, yb);
      const out = tf.tidy(() => {
        const xt = tf.tensor4d(xb.subarray(0, b * pixels), [b, height, width, channels]);
        const yt = tf.tensor2d(yb.subarray(0, b * classes), [b, classes]);
        const logits = net.predictLogits(xt);
        return tf.stack([tf.sum(crossEntropyPerExample(logits, yt)), countCorrect(logits, yt)]);
      });
      const [l, c] = out.dataSync();
      out.dispose();
      loss += l!;
      correct += c!;
    }
    const n = Math.max(1, indices.length);
    return { loss: loss / n, accuracy: correct / n };
  };

  const range = (n: number) => Int32Array.from({ length: n }, (_, i) => i);

  const fit = async (x: Images, y: Targets, o: FitOptions): Promise<History> => {
    checkFitOptions(o);
    const n = countImages(x, pixels, "training images");
    checkTargets(y, n, classes, "training targets");
    const batchSize = o.batchSize ?? 64;
    let trainIdx = range(n);
    let val: { x: Images; y: Targets; idx: Int32Array } | null = null;
    if (o.validation !== undefined) {
      const nv = countImages(o.validation.x, pixels, "validation images");
      checkTargets(o.validation.y, nv, classes, "validation targets");
      if (nv > 0) val = { x: o.validation.x, y: o.validation.y, idx: range(nv) };
    } else if ((o.validationSplit ?? 0) > 0 && n > 1) {
      const nv = Math.min(n - 1, Math.max(1, Math.round(n * o.validationSplit!)));
      const perm = shuffleRng.permutation(n);
      val = { x, y, idx: perm.slice(0, nv).sort() };
      trainIdx = perm.slice(nv).sort();
    }
    const monitor = o.monitor ?? "val_loss";
    const restoreBest = val !== null && (o.restoreBest ?? true);
    const patience = val !== null ? o.patience : undefined;
    const batchesPerEpoch = Math.ceil(trainIdx.length / batchSize);
    const total = batchesPerEpoch * o.epochs;
    const xb = new Float32Array(batchSize * pixels);
    const yb = new Float32Array(batchSize * classes);
    const vars = net.variables as tf.Variable[];
    const epochs: EpochLog[] = [];
    let best = -1;
    let bestScore = Infinity;
    let bestWeights: NamedTensor[] | null = null;
    let stoppedEarly = false;
    let done = 0;
    for (let epoch = 0; epoch < o.epochs; epoch++) {
      optimizer.learningRate = learningRate * Math.pow(o.lrDecay ?? 1, epoch);
      const order = o.shuffle === false ? trainIdx : shuffleRng.shuffle<number, Int32Array>(
        trainIdx.slice(),
      );
      let lossSum = 0;
      let correctSum = 0;
      for (let start = 0; start < order.length; start += batchSize) {
        const end = Math.min(order.length, start + batchSize);
        const b = end - start;
        fillImages(x, order, start, end, pixels, xb);
        fillTargets(y, order, start, end, classes, yb);
        let correct: tf.Scalar | null = null;
        const loss = tf.tidy(() => {
          const xt = tf.tensor4d(xb.subarray(0, b * pixels), [b, height, width, channels]);
          const yt = tf.tensor2d(yb.subarray(0, b * classes), [b, classes]);
          const { value, grads } = tf.variableGrads(() => {
            const logits = net.logits(xt);
            correct = tf.keep(countCorrect(logits, yt));
            return tf.mean(crossEntropyPerExample(logits, yt)) as tf.Scalar;
          }, vars);
          optimizer.applyGradients(grads);
          return value;
        });
        const stats = tf.tidy(() => tf.stack([loss, correct!]));
        const [l, c] = stats.dataSync();
        tf.dispose([stats, loss, correct!]);
        lossSum += l! * b;
        correctSum += c!;
        o.onBatch?.(++done, total);
      }
      const m = Math.max(1, order.length);
      let log: EpochLog = { epoch, loss: lossSum / m, accuracy: correctSum / m };
      if (val !== null) {
        const v = evaluateLoss(val.x, val.y, val.idx);
        log = { ...log, val_loss: v.loss, val_accuracy: v.accuracy };
        const score = monitor === "val_loss" ? v.loss : -v.accuracy;
        if (score < bestScore) {
          bestScore = score;
          best = epoch;
          if (restoreBest) bestWeights = net.getWeights();
        }
      }
      epochs.push(log);
      o.onEpoch?.(log);
      await new Promise((resolve) => setTimeout(resolve, 0));
      if (patience !== undefined && epoch - best >= patience && epoch < o.epochs - 1) {
        stoppedEarly = true;
        break;
      }
    }
    optimizer.learningRate = learningRate;
    const last = epochs.length - 1;
    const restored = restoreBest && bestWeights !== null && best !== last;
    if (restored) net.setWeights(bestWeights!);
    return {
      epochs,
      bestEpoch: val !== null && last >= 0 ? Math.max(best, 0) : last,
      stoppedEarly,
      restoredBest: restored,
    };
  };

  const predictProba = (x: Images): Float32Array => {
    const n = countImages(x, pixels);
    const out = new Float32Array(n * classes);
    const xb = new Float32Array(Math.min(n, predictBatch) * pixels);
    for (let start = 0; start < n; start += predictBatch) {
      const end = Math.min(n, start + predictBatch);
      const b = end - start;
      if (x instanceof Float32Array) xb.set(x.subarray(start * pixels, end * pixels));
      else {
        const base = start * pixels;
        for (let i = 0; i < b * pixels; i++) xb[i] = x[base + i]! * (1 / 255);
      }
      const probs = tf.tidy(() =>
        tf.softmax(
          net.predictLogits(
            tf.tensor4d(xb.subarray(0, b * pixels), [b, height, width, channels]),
          ),
        )
      );
      out.set(probs.dataSync() as Float32Array, start * classes);
      probs.dispose();
    }
    return out;
  };

  return {
    spec,
    classes,
    get seed() {
      return seed;
    },
    fit,
    predictProba,
    logits: (x) => net.logits(x),
    reinitialize(newSeed?: number): void {
      const s = newSeed ?? seed;
      if (!Number.isSafeInteger(s)) {
        throw new RangeError(`Invalid seed: expected a safe integer, got ${s}`);
      }
      seed = s;
      net.setWeights(initialWeights(spec, seed));
      optimizer.dispose();
      optimizer = makeOptimizer();
      shuffleRng = createRng(deriveSeed(seed, "shuffle"));
    },
    getWeights: () => net.getWeights(),
    setWeights: (weights) => net.setWeights(weights),
    saveWeights: () => encodeWeights(spec, net.getWeights()),
    loadWeights(bytes: Uint8Array, source = "weights file"): void {
      const file = decodeWeights(bytes, source);
      if (canonicalJson(file.spec) !== canonicalJson(spec)) {
        throw new TypeError(
          `Invalid weights file "${source}": written for model ${canonicalJson(file.spec)}, ` +
            `expected ${canonicalJson(spec)}`,
        );
      }
      net.setWeights(file.weights);
    },
    dispose(): void {
      optimizer.dispose();
      net.dispose();
    },
  };
}

/**
 * A classifier read from a weights file (its own spec and weights; seed 0, which only a later
 * fit would use). Disposed again if the weights do not fit the spec.
 */
export async function readClassifier(path: string): Promise<Classifier> {
  const { spec, weights } = decodeWeights(await Deno.readFile(path), path);
  const model = createClassifier(spec, { seed: 0 });
  try {
    model.setWeights(weights);
  } catch (error) {
    model.dispose();
    throw error;
  }
  return model;
}
