/** A tiny deterministic world for loop tests: 2-byte "images", 3 classes, a prototype learner. */
import { createRng } from "../../lib/util/random.ts";
import type { Learner, LearnerFitOptions } from "../../lib/active/learner.ts";
import { type AnswerKind, Oracle, type Target } from "../../lib/active/oracle.ts";
import type { LoopConfig, LoopData } from "../../lib/active/loop.ts";

/** A small entropy run over {@linkcode makeData}: a seed of 6, batches of 4, 22 queries. */
export const LOOP_CONFIG: LoopConfig = {
  strategy: "entropy",
  seeding: "random",
  seedSize: 6,
  batchSize: 4,
  budget: 22,
  recipe: "incremental",
  labels: "soft",
  train: { epochs: 1, batchSize: 4 },
  seed: 5,
};

export const CENTRES = [[40, 40], [200, 40], [120, 200]];
export const IMAGE_SIZE = 2;
export const CLASSES = 3;

function softmaxNegDist(
  x: number,
  y: number,
  centres: number[][],
  live: boolean[],
  out: Float32Array,
  at: number,
) {
  let max = -Infinity;
  const logits = centres.map(([cx, cy], c) => {
    const l = live[c] ? -((x - cx!) ** 2 + (y - cy!) ** 2) / 2000 : -Infinity;
    max = Math.max(max, l);
    return l;
  });
  if (max === -Infinity) {
    for (let c = 0; c < centres.length; c++) out[at + c] = 1 / centres.length;
    return;
  }
  const e = logits.map((l) => Math.exp(l - max));
  const s = e.reduce((a, b) => a + b, 0);
  e.forEach((v, c) => (out[at + c] = v / s));
}

/** Images around the three centres, with class labels; deterministic. */
export function makeImages(n: number, seed: number): { images: Uint8Array; labels: Uint8Array } {
  const rng = createRng(seed);
  const images = new Uint8Array(n * 2);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    labels[i] = c;
    images[2 * i] = Math.max(0, Math.min(255, CENTRES[c]![0]! + Math.round(rng.normal() * 30)));
    images[2 * i + 1] = Math.max(0, Math.min(255, CENTRES[c]![1]! + Math.round(rng.normal() * 30)));
  }
  return { images, labels };
}

/** The target: softmax of negative squared distance to the true centres. */
export function makeTarget(): Target & { predict(x: Uint8Array): Float32Array } {
  const predict = (x: Uint8Array) => {
    const n = x.length / 2;
    const out = new Float32Array(n * 3);
    for (let i = 0; i < n; i++) {
      softmaxNegDist(x[2 * i]!, x[2 * i + 1]!, CENTRES, [true, true, true], out, 3 * i);
    }
    return out;
  };
  return { predictProba: (x: Uint8Array) => predict(x), predict };
}

/** A prototype learner: class means weighted by the targets; uniform before any training. */
export class PrototypeLearner implements Learner {
  readonly classes = 3;
  sums: number[][] = [];
  weights: number[] = [];
  fits: { n: number; options: LearnerFitOptions; y: Float32Array }[] = [];
  predictSizes: number[] = [];
  reinits: number[] = [];

  constructor() {
    this.reinitialize(0);
    this.reinits = [];
  }

  reinitialize(seed: number): void {
    this.reinits.push(seed);
    this.sums = [[0, 0], [0, 0], [0, 0]];
    this.weights = [0, 0, 0];
  }

  fit(x: Uint8Array, y: Float32Array, options: LearnerFitOptions): Promise<void> {
    const n = x.length / 2;
    this.fits.push({ n, options, y });
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < 3; c++) {
        const w = y[3 * i + c]!;
        this.sums[c]![0]! += w * x[2 * i]!;
        this.sums[c]![1]! += w * x[2 * i + 1]!;
        this.weights[c]! += w;
      }
    }
    return Promise.resolve();
  }

  /** The class sums and weights as float64 bytes: equal bytes, equal state. */
  saveWeights(): Uint8Array {
    return new Uint8Array(Float64Array.from([...this.sums.flat(), ...this.weights]).buffer);
  }

  /** A stand-in for DeepFool's distance to the boundary: the gap between the top two probabilities. */
  perturbationNorms(x: Uint8Array, _maxSteps: number): Float64Array {
    const p = this.predictProba(x);
    return Float64Array.from({ length: x.length / 2 }, (_, i) => {
      const row = [...p.subarray(3 * i, 3 * i + 3)].sort((a, b) => b - a);
      return row[0]! - row[1]!;
    });
  }

  predictProba(x: Uint8Array): Float32Array {
    const n = x.length / 2;
    this.predictSizes.push(n);
    const live = this.weights.map((w) => w > 0);
    const centres = this.sums.map((s, c) => s.map((v) => (live[c] ? v / this.weights[c]! : 0)));
    const out = new Float32Array(n * 3);
    for (let i = 0; i < n; i++) softmaxNegDist(x[2 * i]!, x[2 * i + 1]!, centres, live, out, 3 * i);
    return out;
  }
}

/** Pool of 60, test set of 30, with the target's test predictions. */
export function makeData(): LoopData {
  const pool = makeImages(60, 1);
  const test = makeImages(30, 2);
  const target = makeTarget();
  const tp = target.predict(test.images);
  const targetTestLabels = new Uint8Array(30);
  for (let i = 0; i < 30; i++) {
    let best = 0;
    for (let c = 1; c < 3; c++) if (tp[3 * i + c]! > tp[3 * i + best]!) best = c;
    targetTestLabels[i] = best;
  }
  return {
    pool: pool.images,
    imageSize: IMAGE_SIZE,
    testImages: test.images,
    testLabels: test.labels,
    targetTestLabels,
  };
}

/** An oracle over {@linkcode makeTarget} with `budget` queries. */
export function makeOracle(budget: number, answer: AnswerKind = "probabilities"): Oracle {
  return new Oracle(makeTarget(), { budget, answer, classes: CLASSES, imageSize: IMAGE_SIZE });
}
