/**
 * Training settings read from the params tree, so that the `target` stage (and any other stage
 * that trains a classifier) reads the same keys with the same defaults and error messages.
 *
 * Keys under a prefix `P` (e.g. `target`): `P.model` (`"lenet"` or a spec object), `P.epochs`
 * (10), `P.batch` (64), `P.lr` (0.001), `P.lr_decay` (1: constant), `P.seed` (0),
 * `P.validation_split` (0: none),
 * `P.patience` (null: no early stopping), `P.train_size` (0: all), `P.test_size` (0: all).
 *
 * @module
 */

import type { ParamIssue, ParamValue } from "../pipeline/stage_context.ts";
import { type ModelSpec, modelSpecIssues, parseModelSpec } from "./spec.ts";

/** Resolved training settings. */
export interface TrainConfig {
  /** Architecture. */
  readonly model: ModelSpec;
  /** Passes over the training data. */
  readonly epochs: number;
  /** Mini-batch size. */
  readonly batchSize: number;
  /** RMSProp learning rate. */
  readonly learningRate: number;
  /** Per-epoch learning-rate factor (1: constant). */
  readonly lrDecay: number;
  /** Seed of initialisation and shuffling. */
  readonly seed: number;
  /** Held-out fraction for validation and early stopping (0: none). */
  readonly validationSplit: number;
  /** Early-stopping patience in epochs, or null for none. */
  readonly patience: number | null;
  /** Use only the first `trainSize` training examples (0: all) — for quick profiles. */
  readonly trainSize: number;
  /** Evaluate on only the first `testSize` test examples (0: all) — for quick profiles. */
  readonly testSize: number;
}

/** Defaults of {@linkcode TrainConfig} by key suffix. */
export const TRAIN_DEFAULTS: Readonly<Record<string, ParamValue>> = {
  model: "lenet",
  epochs: 10,
  batch: 64,
  lr: 0.001,
  lr_decay: 1,
  seed: 0,
  validation_split: 0,
  patience: null,
  train_size: 0,
  test_size: 0,
};

type Check = (v: ParamValue) => string | null;

const intAtLeast = (min: number): Check => (v) =>
  typeof v === "number" && Number.isSafeInteger(v) && v >= min
    ? null
    : `expected an integer >= ${min}, got ${JSON.stringify(v)}`;

const CHECKS: Record<string, Check> = {
  epochs: intAtLeast(1),
  batch: intAtLeast(1),
  lr: (v) =>
    typeof v === "number" && v > 0 && Number.isFinite(v)
      ? null
      : `expected a positive number, got ${JSON.stringify(v)}`,
  lr_decay: (v) =>
    typeof v === "number" && v > 0 && v <= 1
      ? null
      : `expected a number in (0, 1], got ${JSON.stringify(v)}`,
  seed: intAtLeast(0),
  validation_split: (v) =>
    typeof v === "number" && v >= 0 && v < 1
      ? null
      : `expected a number in [0, 1), got ${JSON.stringify(v)}`,
  patience: (v) => (v === null ? null : intAtLeast(0)(v)),
  train_size: intAtLeast(0),
  test_size: intAtLeast(0),
};

function get(
  params: Readonly<Record<string, ParamValue>>,
  key: string,
  suffix: string,
): ParamValue {
  return Object.hasOwn(params, key) ? params[key]! : TRAIN_DEFAULTS[suffix]!;
}

/** Problems with the training params under `prefix`; empty when all are valid or absent. */
export function trainConfigIssues(
  params: Readonly<Record<string, ParamValue>>,
  prefix: string,
): ParamIssue[] {
  const issues: ParamIssue[] = [];
  for (const [suffix, check] of Object.entries(CHECKS)) {
    const key = `${prefix}.${suffix}`;
    const message = check(get(params, key, suffix));
    if (message !== null) issues.push({ param: key, message });
  }
  const modelKey = `${prefix}.model`;
  for (const [field, message] of modelSpecIssues(get(params, modelKey, "model"))) {
    issues.push({ param: modelKey, message: field ? `${field}: ${message}` : message });
  }
  return issues;
}

/**
 * Reads the training params under `prefix`, with defaults for absent keys.
 *
 * @example
 * ```ts
 * import { parseTrainConfig } from "./params.ts";
 * const config = parseTrainConfig({ "target.epochs": 3 }, "target");
 * console.assert(config.epochs === 3 && config.batchSize === 64);
 * ```
 *
 * @throws {RangeError} naming the first invalid key.
 */
export function parseTrainConfig(
  params: Readonly<Record<string, ParamValue>>,
  prefix: string,
): TrainConfig {
  const issues = trainConfigIssues(params, prefix);
  if (issues.length > 0) {
    throw new RangeError(`Invalid param "${issues[0]!.param}": ${issues[0]!.message}`);
  }
  const n = (suffix: string) => get(params, `${prefix}.${suffix}`, suffix) as number;
  return {
    model: parseModelSpec(get(params, `${prefix}.model`, "model"), `${prefix}.model`),
    epochs: n("epochs"),
    batchSize: n("batch"),
    learningRate: n("lr"),
    lrDecay: n("lr_decay"),
    seed: n("seed"),
    validationSplit: n("validation_split"),
    patience: get(params, `${prefix}.patience`, "patience") as number | null,
    trainSize: n("train_size"),
    testSize: n("test_size"),
  };
}

/**
 * How many of `available` examples a size param takes: `size` of them, at most all; 0 means all.
 *
 * @example
 * ```ts
 * import { sizeOrAll } from "./params.ts";
 * console.assert(sizeOrAll(0, 60) === 60 && sizeOrAll(10, 60) === 10 && sizeOrAll(99, 60) === 60);
 * ```
 */
export function sizeOrAll(size: number, available: number): number {
  return size > 0 ? Math.min(size, available) : available;
}
