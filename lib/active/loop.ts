/**
 * The ActiveThief loop (thesis Fig. 1, DESIGN §3): seed → train the substitute → score the pool →
 * select a batch → query the oracle → train → … until the budget, the pool or the round limit
 * ends it. Each round appends a {@linkcode TraceRow}; stopping rules are evaluated afterwards on
 * the trace (`stopping.ts`), so they cost no training.
 *
 * Two training recipes:
 * - `incremental` (the thesis code): keep the weights; train `epochs` passes over the new batch
 *   only (the seed set in round 0).
 * - `scratch` (ActiveThief): re-initialise (same initial weights each round) and train on
 *   everything queried so far, up to `epochs` passes, with early stopping on the queried
 *   validation split when there is one.
 *
 * Budget accounting: every image sent to the oracle counts — seed, validation split and batches.
 * The last batch shrinks to what the budget has left.
 *
 * The round's steps (score, select, query, train, evaluate, checkpoint) are in `round.ts`.
 * Checkpoints keep the substitute's weights at the report budgets, for the transfer attacks.
 *
 * @module
 */

import { deriveSeed } from "../util/random.ts";
import type { Learner } from "./learner.ts";
import type { Oracle } from "./oracle.ts";
import type { Probs } from "./probs.ts";
import { meanEntropy } from "./scores.ts";
import { randomSeeding, seed as runSeeding, type SeedingName } from "./seeding.ts";
import type { StrategyName } from "./strategies.ts";
import type { TraceRow } from "./trace.ts";
import {
  type Checkpoint,
  checkpointStep,
  createRunState,
  evaluateStep,
  gatherImages,
  predictImages,
  predictPool,
  queryStep,
  type RunState,
  scoreStep,
  selectStep,
  spentOf,
  targetsOf,
  trainStep,
} from "./round.ts";

/** The images the loop works on. */
export interface LoopData {
  /** The attacker's unlabelled pool, `poolSize × imageSize` bytes. */
  readonly pool: Uint8Array;
  /** Bytes per image (784 for 28×28). */
  readonly imageSize: number;
  /** Test images, `n × imageSize` bytes. */
  readonly testImages: Uint8Array;
  /** True test labels (accuracy). */
  readonly testLabels: ArrayLike<number>;
  /** The target's top-1 predictions on the test images (agreement); not counted as queries. */
  readonly targetTestLabels: ArrayLike<number>;
}

/** The training recipe. */
export type Recipe = "incremental" | "scratch";

/** What the substitute trains on: the argmax of the answers, or the answers themselves. */
export type LabelKind = "hard" | "soft";

/** Settings of one run. */
export interface LoopConfig {
  /** Selection strategy of rounds 1, 2, …. */
  readonly strategy: StrategyName;
  /** How the seed set is chosen. */
  readonly seeding: SeedingName;
  /** N of cluster seeding (default 10). */
  readonly seedClusters?: number;
  /** Images in the seed set. */
  readonly seedSize: number;
  /**
   * The seed set itself, overriding `seeding` (`seedSize` pool indices). The seeding stage ranks
   * the pool once with {@linkcode chooseSeed} and passes prefixes of the ranking.
   */
  readonly seedIndices?: readonly number[];
  /** Images selected per round. */
  readonly batchSize: number;
  /** Total queries allowed: seed + validation + batches. */
  readonly budget: number;
  /** Most selection rounds after the seed round (default: until the budget or pool runs out). */
  readonly rounds?: number;
  /** Training recipe. */
  readonly recipe: Recipe;
  /** Hard (argmax one-hot) or soft (probability vector) training targets. */
  readonly labels: LabelKind;
  /** Images queried as a validation split for early stopping (default 0). */
  readonly validationSize?: number;
  /** Images of the fixed stopping set (drawn from the pool, only scored; it may overlap the queried images; default 1000). */
  readonly stoppingSetSize?: number;
  /** Score only this many random unqueried images per round (default: the whole pool). */
  readonly scoringSubsample?: number | null;
  /** N of the text-variant clustering strategies (default 10). */
  readonly clusters?: number;
  /** Entropy subset of the text-variant combinations (default 10 × batch). */
  readonly candidates?: number;
  /** Training settings. */
  readonly train: {
    /** Passes per training call (incremental: over the new batch; scratch: the most). */
    readonly epochs: number;
    /** Mini-batch size. */
    readonly batchSize: number;
    /** Early-stopping patience (scratch with a validation split). */
    readonly patience?: number;
  };
  /** The run's seed: initial weights, seeding, validation split, stopping set, random choices. */
  readonly seed: number;
  /**
   * Report budgets at which to keep the substitute's weights (those of the last round with at
   * most that many queries; budgets above `budget` are skipped). Needs `Learner.saveWeights`.
   */
  readonly checkpoints?: readonly number[];
  /** DeepFool's step cap in the DFAL strategies (default 20). */
  readonly deepfoolSteps?: number;
  /** DFAL: run DeepFool on only this many random open images per round (default: all). */
  readonly dfalSubsample?: number | null;
}

/** What a run produced. */
export interface LoopResult {
  /** One row per round, round 0 being the seed round. */
  readonly trace: TraceRow[];
  /** Pool indices queried, in query order (seed, then validation, then each batch). */
  readonly queried: number[];
  /** The seed set. */
  readonly seedIndices: number[];
  /** The validation split. */
  readonly validationIndices: number[];
  /** The stopping set. */
  readonly stoppingIndices: number[];
  /** Queries spent. */
  readonly spent: number;
  /** The substitute's weights at each reached report budget, ascending. */
  readonly checkpoints: Checkpoint[];
}

/** Callbacks for progress and logging. */
export interface LoopHooks {
  /** Called after every round with its trace row. */
  onRound?(row: TraceRow): void;
  /** Rounds done and the planned total. */
  progress?(done: number, total: number): void;
}

/** Problems in a loop configuration, as `[field, message]`; empty when valid. */
export function loopConfigIssues(config: LoopConfig, poolSize?: number): [string, string][] {
  const issues: [string, string][] = [];
  const posInt = (v: unknown) => Number.isInteger(v) && (v as number) > 0;
  const nonNegInt = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
  if (!posInt(config.seedSize)) {
    issues.push(["seedSize", `expected a positive integer, got ${config.seedSize}`]);
  }
  if (!posInt(config.batchSize)) {
    issues.push(["batchSize", `expected a positive integer, got ${config.batchSize}`]);
  }
  const validation = config.validationSize ?? 0;
  if (!nonNegInt(validation)) {
    issues.push(["validationSize", `expected a non-negative integer, got ${validation}`]);
  }
  if (!nonNegInt(config.budget)) {
    issues.push(["budget", `expected a non-negative integer, got ${config.budget}`]);
  } else if (config.budget < config.seedSize + validation) {
    issues.push([
      "budget",
      `expected at least the seed size plus the validation split (${
        config.seedSize + validation
      }), got ${config.budget}`,
    ]);
  }
  if (poolSize !== undefined && config.seedSize + validation > poolSize) {
    issues.push([
      "seedSize",
      `expected the seed plus the validation split to fit in the pool of ${poolSize}, got ${
        config.seedSize + validation
      }`,
    ]);
  }
  if (config.rounds !== undefined && !nonNegInt(config.rounds)) {
    issues.push(["rounds", `expected a non-negative integer, got ${config.rounds}`]);
  }
  if (!nonNegInt(config.train.epochs)) {
    issues.push(["train.epochs", `expected a non-negative integer, got ${config.train.epochs}`]);
  }
  if (!posInt(config.train.batchSize)) {
    issues.push([
      "train.batchSize",
      `expected a positive integer, got ${config.train.batchSize}`,
    ]);
  }
  const sub = config.scoringSubsample;
  if (sub !== undefined && sub !== null && !posInt(sub)) {
    issues.push(["scoringSubsample", `expected a positive integer or null, got ${sub}`]);
  }
  return issues;
}

async function chooseSeedWith(
  predict: (indices: ArrayLike<number>) => Promise<Probs>,
  poolSize: number,
  config: LoopConfig,
  size: number,
): Promise<{ indices: number[]; entropy: number | null }> {
  const options = {
    clusters: config.seedClusters ?? 10,
    seed: deriveSeed(config.seed, "seeding"),
  };
  if (config.seeding === "random") {
    const indices = runSeeding("random", { poolSize }, size, options);
    return { indices, entropy: meanEntropy(await predict(indices)) };
  }
  const probs = await predict(Int32Array.from({ length: poolSize }, (_, i) => i));
  const indices = runSeeding(config.seeding, { poolSize, probs }, size, options);
  return { indices, entropy: meanEntropy(probs, indices) };
}

/**
 * The seed set that {@linkcode runActiveLearning} would choose for `config` with `size` images:
 * the learner is re-initialised as the loop does, then `config.seeding` runs on its predictions.
 * Every seeding method is prefix-stable (the seed of size B is the first B of the seed of any
 * larger size), so one call with the largest size serves all smaller ones.
 */
export async function chooseSeed(
  learner: Learner,
  data: LoopData,
  config: LoopConfig,
  size: number,
): Promise<number[]> {
  const poolSize = data.pool.length / data.imageSize;
  learner.reinitialize(deriveSeed(config.seed, "init"));
  const predict = (indices: ArrayLike<number>) => predictImages(learner, data, indices);
  return (await chooseSeedWith(predict, poolSize, config, size)).indices;
}

/**
 * Runs the loop: seeds, trains, and repeats selection rounds until the budget, the pool or the
 * round limit ends it. Deterministic for a seed when the learner and the oracle are.
 *
 * @example Usage
 * ```ts ignore
 * const result = await runActiveLearning(learner, oracle, data, {
 *   strategy: "entropy", seeding: "random", seedSize: 1000, batchSize: 1000, budget: 5000,
 *   recipe: "incremental", labels: "soft", train: { epochs: 1, batchSize: 32 }, seed: 1,
 * });
 * ```
 */
export async function runActiveLearning(
  learner: Learner,
  oracle: Oracle,
  data: LoopData,
  config: LoopConfig,
  hooks: LoopHooks = {},
): Promise<LoopResult> {
  checkRun(learner, oracle, data, config);
  const state = createRunState(learner, oracle, data, config);
  const { seedIndices, validationIndices, entropy } = await seedRound(state);
  const plannedRounds = Math.min(
    config.rounds ?? Infinity,
    Math.ceil((config.budget - spentOf(state)) / config.batchSize),
  );
  const trace: TraceRow[] = [];
  const record = (row: TraceRow, round: number) => {
    trace.push(row);
    hooks.onRound?.(row);
    hooks.progress?.(round, plannedRounds);
  };
  await trainStep(state, seedIndices, state.trainTargets[0]!);
  record(await evaluateStep(state, 0, entropy), 0);
  for (let round = 1; round <= (config.rounds ?? Infinity); round++) {
    const left = config.budget - spentOf(state);
    if (left <= 0 || state.queriedSet.size >= state.poolSize) break;
    const scored = await scoreStep(state, round);
    const { picked, batchEntropy } = await selectStep(
      state,
      scored,
      Math.min(config.batchSize, left),
      round,
    );
    if (picked.length === 0) break;
    const targets = targetsOf(state, await queryStep(state, picked));
    state.trainIndices.push(...picked);
    state.trainTargets.push(targets);
    checkpointStep(state, spentOf(state));
    await trainStep(state, picked, targets);
    record(await evaluateStep(state, round, batchEntropy), round);
  }
  checkpointStep(state, Infinity);
  return {
    trace,
    queried: state.queried,
    seedIndices,
    validationIndices,
    stoppingIndices: state.stoppingIndices,
    spent: spentOf(state),
    checkpoints: state.checkpoints,
  };
}

/** Throws on a pool, configuration or oracle the loop cannot run with. */
function checkRun(learner: Learner, oracle: Oracle, data: LoopData, config: LoopConfig): void {
  const { imageSize } = data;
  if (data.pool.length % imageSize !== 0) {
    throw new TypeError(
      `Invalid pool: expected a multiple of ${imageSize} bytes per image, got ${data.pool.length}`,
    );
  }
  const issues = loopConfigIssues(config, data.pool.length / imageSize);
  if (issues.length > 0) {
    const [field, message] = issues[0]!;
    throw new RangeError(`Invalid loop configuration at ${field}: ${message}`);
  }
  if (oracle.budget < config.budget) {
    throw new RangeError(
      `Invalid loop configuration at budget: the oracle allows ${oracle.budget} queries, fewer than ${config.budget}`,
    );
  }
  if ((config.checkpoints ?? []).length > 0 && learner.saveWeights === undefined) {
    throw new TypeError(
      "Invalid loop configuration at checkpoints: the learner has no saveWeights()",
    );
  }
}

/**
 * Round 0 up to training: re-initialise the substitute, draw the stopping set, choose and query
 * the seed set, then the validation split.
 */
async function seedRound(
  state: RunState,
): Promise<{ seedIndices: number[]; validationIndices: number[]; entropy: number | null }> {
  const { config, poolSize } = state;
  state.learner.reinitialize(state.initSeed);
  state.stoppingIndices = randomSeeding(
    poolSize,
    Math.min(poolSize, config.stoppingSetSize ?? 1000),
    {
      seed: deriveSeed(config.seed, "stopping-set"),
    },
  );
  const predict = (indices: ArrayLike<number>) => predictPool(state, indices);
  let seedIndices: number[];
  let entropy: number | null;
  if (config.seedIndices !== undefined) {
    seedIndices = [...config.seedIndices];
    if (
      seedIndices.length !== config.seedSize || new Set(seedIndices).size !== seedIndices.length ||
      !seedIndices.every((i) => Number.isInteger(i) && i >= 0 && i < poolSize)
    ) {
      throw new RangeError(
        `Invalid loop configuration at seedIndices: expected ${config.seedSize} distinct pool indices below ${poolSize}`,
      );
    }
    entropy = meanEntropy(await predict(seedIndices));
  } else {
    ({ indices: seedIndices, entropy } = await chooseSeedWith(
      predict,
      poolSize,
      config,
      config.seedSize,
    ));
  }
  const seedAnswers = await queryStep(state, seedIndices);
  state.trainIndices.push(...seedIndices);
  state.trainTargets.push(targetsOf(state, seedAnswers));
  const validationIndices = await validationStep(state);
  return { seedIndices, validationIndices, entropy };
}

/** Queries the validation split (seeded, among the images not yet queried), if there is one. */
async function validationStep(state: RunState): Promise<number[]> {
  const size = state.config.validationSize ?? 0;
  if (size === 0) return [];
  const open: number[] = [];
  for (let i = 0; i < state.poolSize; i++) if (!state.queriedSet.has(i)) open.push(i);
  const picks = randomSeeding(open.length, size, {
    seed: deriveSeed(state.config.seed, "validation"),
  });
  const indices = picks.map((p) => open[p]!);
  const answers = await queryStep(state, indices);
  state.validation = {
    x: gatherImages(state.data.pool, indices, state.data.imageSize),
    y: targetsOf(state, answers),
  };
  return indices;
}
