/**
 * The results the report is built from: every run's trace, every stopping evaluation and every
 * target, normalised from the upstream stages' files into one shape. Figures, tables and claim
 * verdicts are pure functions of a {@linkcode Results}.
 *
 * @module
 */

import type { TraceRow } from "../active/trace.ts";

/** Which thesis experiment a run belongs to. */
export type Experiment = "seeding" | "select" | "seed_size";

/** One active-learning (or seeding-only) run: one repeat of one configuration. */
export interface RunResult {
  /** `seeding` (Fig. 2), `select` (Figs. 3–5) or `seed_size` (Fig. 6). */
  experiment: Experiment;
  /** Dataset id, e.g. `mnist` or `fashion-mnist`. */
  dataset: string;
  /**
   * Series label. For `select`: the strategy id (see {@linkcode canonicalStrategy}); for
   * `seeding`: `random` or `cluster-N`; for `seed_size`: the selection strategy.
   */
  series: string;
  /** Seed-set size (queries spent on the seed). */
  seed_size: number;
  /** Repeat index (0-based); repeats with the same index share their random seed. */
  repeat: number;
  /** The run's per-round trace, round 0 first. */
  trace: TraceRow[];
  /**
   * The target's accuracy on the same test images the run's substitute was scored on (its
   * `summary.json`), when known: what "close to a model trained on the whole dataset" compares.
   */
  target_test_accuracy?: number;
}

/** Where a stopping rule stopped one entropy run. */
export interface StopResult {
  dataset: string;
  /** The threshold alpha of |H(i-1) - H(i)| <= alpha. */
  alpha: number;
  /** Which rule (lib/active/stopping.ts): `batch-entropy` (the thesis's), `stopping-set-entropy`, … */
  rule: string;
  /** Strategy of the run the rule was evaluated on (the thesis: entropy); absent = entropy. */
  strategy?: string;
  repeat: number;
  /** False when the rule never fired: the numbers are then the run's last round (censored). */
  stopped: boolean;
  /** Queries spent when the rule fired. */
  queries: number;
  test_accuracy: number;
  agreement: number;
}

/** A trained target (victim) model's test accuracy. */
export interface TargetResult {
  dataset: string;
  test_accuracy: number;
  /** Number of test images it was evaluated on. */
  test_size?: number;
  /** Number of training images it was trained on. */
  train_size?: number;
}

/**
 * One run of the `pool_bug` experiment: a substitute trained on a whole pool answered by a
 * target, scored on the target dataset's test set.
 */
export interface PoolBugResult {
  /** The pool's dataset (`mnist` reproduces the thesis code's hard-coded pool). */
  pool: string;
  /** The target's dataset. */
  target_dataset: string;
  pool_size: number;
  test_size: number;
  /** The substitute's accuracy on the target dataset's test images. */
  test_accuracy: number;
  /** The target's accuracy on the same test images. */
  target_test_accuracy: number;
  agreement: number;
  /** Recipe. */
  epochs: number;
  batch: number;
  lr: number;
  labels: string;
}

/** Everything the figures, tables and claims read. */
export interface Results {
  targets: TargetResult[];
  runs: RunResult[];
  stops: StopResult[];
  /** The `pool_bug` experiment's runs, when its outs are among the deps. */
  pool_bug?: PoolBugResult[];
}

/** The thesis's strategy ids, in the order its figures list them. */
export const STRATEGIES = [
  "random",
  "least_confidence",
  "margin",
  "entropy",
  "uniform",
  "clustering",
  "entropy_clustering",
  "entropy_uniform",
  "entropy_clustering_uniform",
  "kcenter",
] as const;

/** Human-readable names of the strategy ids, as the thesis writes them. */
export const STRATEGY_LABELS: Readonly<Record<string, string>> = {
  random: "Random",
  least_confidence: "Least confidence",
  margin: "Margin",
  entropy: "Entropy",
  uniform: "Uniform",
  clustering: "Clustering",
  entropy_clustering: "Entropy+clustering",
  entropy_uniform: "Entropy+uniform",
  entropy_clustering_uniform: "Entropy+clustering+uniform",
  kcenter: "k-center",
};

const ALIASES: Readonly<Record<string, string>> = {
  lc: "least_confidence",
  leastconfidence: "least_confidence",
  least_confident: "least_confidence",
  margin_sampling: "margin",
  cluster: "clustering",
  cluster_entropy: "entropy_clustering",
  clustering_entropy: "entropy_clustering",
  uniform_entropy: "entropy_uniform",
  cluster_uniform_entropy: "entropy_clustering_uniform",
  clustering_uniform_entropy: "entropy_clustering_uniform",
  entropy_uniform_clustering: "entropy_clustering_uniform",
  k_center: "kcenter",
  coreset: "kcenter",
};

/**
 * Maps the spellings used by the thesis code and by stage params onto one strategy id, so that
 * `cluster_entropy`, `entropy+clustering` and `entropy-clustering` meet in one series. Variants
 * (`entropy:thesis`) keep their suffix.
 *
 * @example Usage
 * ```ts
 * import { canonicalStrategy } from "./results.ts";
 * import { equal } from "node:assert/strict";
 * equal(canonicalStrategy("cluster_entropy"), "entropy_clustering");
 * equal(canonicalStrategy("Entropy+Uniform"), "entropy_uniform");
 * ```
 */
export function canonicalStrategy(name: string): string {
  const [base = "", ...variant] = name.split(":");
  const key = base.trim().toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_|_$/g, "");
  const id = ALIASES[key] ?? key;
  return variant.length > 0 ? `${id}:${variant.join(":")}` : id;
}

/** The label shown for a series id (strategy names spelled out, others unchanged). */
export function seriesLabel(series: string): string {
  const [base = "", ...variant] = series.split(":");
  const label = STRATEGY_LABELS[base] ??
    (base.startsWith("cluster-")
      ? `Cluster N=${base.slice(8)}`
      : base === "random"
      ? "Random"
      : base);
  return variant.length > 0 ? `${label} (${variant.join(":")})` : label;
}

/** Display names of the datasets. */
export function datasetLabel(dataset: string): string {
  if (dataset === "mnist") return "MNIST";
  if (dataset === "fashion-mnist" || dataset === "fashion_mnist" || dataset === "fmnist") {
    return "Fashion-MNIST";
  }
  return dataset;
}
