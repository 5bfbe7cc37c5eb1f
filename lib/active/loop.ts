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
 * @module
 */

import { deriveSeed } from "../util/random.ts";
import type { Learner } from "./learner.ts";
import type { Oracle } from "./oracle.ts";
import { argmaxRows, createProbs, oneHot, type Probs } from "./probs.ts";
import { meanEntropy } from "./scores.ts";
import { randomSeeding, seed as runSeeding, type SeedingName } from "./seeding.ts";
import { needsQueriedRows, select, type StrategyName } from "./strategies.ts";
import { cohensKappa } from "./kappa.ts";
import type { TraceRow } from "./trace.ts";

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
}

/** Callbacks for progress and logging. */
export interface LoopHooks {
  /** Called after every round with its trace row. */
  onRound?(row: TraceRow): void;
  /** Rounds done and the planned total. */
  progress?(done: number, total: number): void;
}

/** Copies the images at `indices` out of `images` into one contiguous array. */
export function gatherImages(
  images: Uint8Array,
  indices: ArrayLike<number>,
  imageSize: number,
): Uint8Array {
  const out = new Uint8Array(indices.length * imageSize);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i]!;
    out.set(images.subarray(j * imageSize, (j + 1) * imageSize), i * imageSize);
  }
  return out;
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
  const predict = async (indices: ArrayLike<number>): Promise<Probs> =>
    createProbs(
      await learner.predictProba(gatherImages(data.pool, indices, data.imageSize)),
      learner.classes,
    );
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
  const { imageSize } = data;
  if (data.pool.length % imageSize !== 0) {
    throw new TypeError(
      `Invalid pool: expected a multiple of ${imageSize} bytes per image, got ${data.pool.length}`,
    );
  }
  const poolSize = data.pool.length / imageSize;
  const issues = loopConfigIssues(config, poolSize);
  if (issues.length > 0) {
    const [field, message] = issues[0]!;
    throw new RangeError(`Invalid loop configuration at ${field}: ${message}`);
  }
  if (oracle.budget < config.budget) {
    throw new RangeError(
      `Invalid loop configuration at budget: the oracle allows ${oracle.budget} queries, fewer than ${config.budget}`,
    );
  }
  const classes = learner.classes;
  const initSeed = deriveSeed(config.seed, "init");
  const validationSize = config.validationSize ?? 0;
  const stoppingSize = Math.min(poolSize, config.stoppingSetSize ?? 1000);
  const strategyOptions = {
    clusters: config.clusters ?? 10,
    ...(config.candidates === undefined ? {} : { candidates: config.candidates }),
  };
  const budget = config.budget;
  const spentAtStart = oracle.spent;
  const spent = () => oracle.spent - spentAtStart;

  const predict = async (indices: ArrayLike<number>): Promise<Probs> =>
    createProbs(
      await learner.predictProba(gatherImages(data.pool, indices, imageSize)),
      classes,
    );
  const targetsOf = (answers: Probs): Float32Array =>
    config.labels === "soft" ? answers.data : oneHot(argmaxRows(answers), classes).data;

  const queried: number[] = [];
  const queriedSet = new Set<number>();
  const answerRows: Float32Array[] = [];
  const ask = async (indices: number[]): Promise<Probs> => {
    const answers = await oracle.query(gatherImages(data.pool, indices, imageSize));
    for (const i of indices) {
      queried.push(i);
      queriedSet.add(i);
    }
    answerRows.push(answers.data);
    return answers;
  };
  const allAnswers = (): Probs => {
    const total = answerRows.reduce((n, a) => n + a.length, 0);
    const out = new Float32Array(total);
    let offset = 0;
    for (const a of answerRows) {
      out.set(a, offset);
      offset += a.length;
    }
    return createProbs(out, classes);
  };

  // Round 0: the seed set, chosen with the freshly initialised substitute.
  learner.reinitialize(initSeed);
  const stoppingIndices = randomSeeding(poolSize, stoppingSize, {
    seed: deriveSeed(config.seed, "stopping-set"),
  });
  let seedIndices: number[];
  let seedEntropy: number | null;
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
    seedEntropy = meanEntropy(await predict(seedIndices));
  } else {
    ({ indices: seedIndices, entropy: seedEntropy } = await chooseSeedWith(
      predict,
      poolSize,
      config,
      config.seedSize,
    ));
  }
  const seedAnswers = await ask(seedIndices);
  /** Pool indices the scratch recipe trains on (seed and batches, not validation). */
  const trainIndices: number[] = seedIndices.slice();
  const trainTargets: Float32Array[] = [targetsOf(seedAnswers)];

  let validation: { x: Uint8Array; y: Float32Array } | undefined;
  let validationIndices: number[] = [];
  if (validationSize > 0) {
    const open: number[] = [];
    for (let i = 0; i < poolSize; i++) if (!queriedSet.has(i)) open.push(i);
    const picks = randomSeeding(open.length, validationSize, {
      seed: deriveSeed(config.seed, "validation"),
    });
    validationIndices = picks.map((p) => open[p]!);
    const answers = await ask(validationIndices);
    validation = {
      x: gatherImages(data.pool, validationIndices, imageSize),
      y: targetsOf(answers),
    };
  }
  const train = async (newIndices: number[], newTargets: Float32Array): Promise<void> => {
    if (config.recipe === "incremental") {
      await learner.fit(gatherImages(data.pool, newIndices, imageSize), newTargets, {
        epochs: config.train.epochs,
        batchSize: config.train.batchSize,
      });
      return;
    }
    learner.reinitialize(initSeed);
    const y = new Float32Array(trainIndices.length * classes);
    let offset = 0;
    for (const t of trainTargets) {
      y.set(t, offset);
      offset += t.length;
    }
    await learner.fit(gatherImages(data.pool, trainIndices, imageSize), y, {
      epochs: config.train.epochs,
      batchSize: config.train.batchSize,
      ...(validation === undefined ? {} : {
        validation,
        ...(config.train.patience === undefined ? {} : { patience: config.train.patience }),
      }),
    });
  };

  let previousStopping: Int32Array | null = null;
  const evaluate = async (round: number, batchEntropy: number | null): Promise<TraceRow> => {
    const testProbs = createProbs(await learner.predictProba(data.testImages), classes);
    const predicted = argmaxRows(testProbs);
    let correct = 0;
    let agree = 0;
    for (let i = 0; i < predicted.length; i++) {
      if (predicted[i] === data.testLabels[i]) correct++;
      if (predicted[i] === data.targetTestLabels[i]) agree++;
    }
    const n = Math.max(1, predicted.length);
    const stopProbs = await predict(stoppingIndices);
    const stopPredicted = argmaxRows(stopProbs);
    const kappa = previousStopping === null ? null : cohensKappa(previousStopping, stopPredicted);
    previousStopping = stopPredicted;
    return {
      round,
      queries: spent(),
      test_accuracy: correct / n,
      agreement: agree / n,
      batch_entropy: batchEntropy,
      stopping_entropy: meanEntropy(stopProbs) ?? 0,
      kappa,
    };
  };

  const afterSeed = budget - spent();
  const plannedRounds = Math.min(
    config.rounds ?? Infinity,
    Math.ceil(afterSeed / config.batchSize),
  );
  const trace: TraceRow[] = [];
  await train(seedIndices, trainTargets[0]!);
  const first = await evaluate(0, seedEntropy);
  trace.push(first);
  hooks.onRound?.(first);
  hooks.progress?.(0, plannedRounds);

  for (let round = 1; round <= (config.rounds ?? Infinity); round++) {
    const left = budget - spent();
    if (left <= 0 || queriedSet.size >= poolSize) break;
    const k = Math.min(config.batchSize, left);
    const scored = scoredIndices(poolSize, queriedSet, config, round);
    let picked: number[];
    let batchEntropy: number | null;
    if (config.strategy === "random") {
      picked = select("random", {
        probs: createProbs(new Float32Array(scored.length * classes), classes),
        indices: scored,
        queried: queriedSet,
      }, { k, seed: deriveSeed(config.seed, "select", round) });
      batchEntropy = meanEntropy(await predict(picked));
    } else {
      const probs = await predict(scored);
      picked = select(config.strategy, {
        probs,
        indices: scored,
        queried: queriedSet,
        answers: allAnswers(),
      }, { k, seed: deriveSeed(config.seed, "select", round), ...strategyOptions });
      const rowOf = new Map<number, number>();
      scored.forEach((p, r) => rowOf.set(p, r));
      batchEntropy = meanEntropy(probs, picked.map((p) => rowOf.get(p)!));
    }
    if (picked.length === 0) break;
    const answers = await ask(picked);
    const targets = targetsOf(answers);
    trainIndices.push(...picked);
    trainTargets.push(targets);
    await train(picked, targets);
    const row = await evaluate(round, batchEntropy);
    trace.push(row);
    hooks.onRound?.(row);
    hooks.progress?.(round, plannedRounds);
  }
  return {
    trace,
    queried,
    seedIndices,
    validationIndices,
    stoppingIndices,
    spent: spent(),
  };

  function scoredIndices(
    n: number,
    done: ReadonlySet<number>,
    cfg: LoopConfig,
    round: number,
  ): number[] {
    const open: number[] = [];
    for (let i = 0; i < n; i++) if (!done.has(i)) open.push(i);
    let chosen = open;
    const sub = cfg.scoringSubsample;
    if (sub !== undefined && sub !== null && sub < open.length) {
      chosen = randomSeeding(open.length, sub, {
        seed: deriveSeed(cfg.seed, "subsample", round),
      }).map((p) => open[p]!);
    }
    if (needsQueriedRows(cfg.strategy)) chosen = chosen.concat([...done]);
    return chosen.sort((a, b) => a - b);
  }
}
