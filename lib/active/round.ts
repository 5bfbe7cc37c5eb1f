/**
 * The steps of one ActiveThief round, as the loop in `loop.ts` reads them: score the open pool,
 * select a batch, query the oracle, train the substitute, evaluate it, and keep a checkpoint of
 * its weights at the report budgets. Each step is a short function over a {@linkcode RunState}
 * (the run's bookkeeping: what was queried, the answers, the training set), so each can be
 * tested on its own.
 *
 * @module
 */

import { deriveSeed } from "../util/random.ts";
import type { Learner } from "./learner.ts";
import type { Oracle } from "./oracle.ts";
import { argmaxRows, createProbs, oneHot, type Probs } from "./probs.ts";
import { meanEntropy } from "./scores.ts";
import { randomSeeding } from "./seeding.ts";
import { needsPerturbations, needsQueriedRows, select } from "./strategies.ts";
import { cohensKappa } from "./kappa.ts";
import type { TraceRow } from "./trace.ts";
import type { LoopConfig, LoopData } from "./loop.ts";

/** The substitute's weights at a report budget. */
export interface Checkpoint {
  /** The report budget it stands for: the weights of the last round with at most this many queries. */
  readonly budget: number;
  /** That round. */
  readonly round: number;
  /** Queries spent at that round. */
  readonly queries: number;
  /** The learner's weights bytes (`Learner.saveWeights`). */
  readonly weights: Uint8Array;
}

/** The file name of the checkpoint of a report budget inside a run's `checkpoints/` folder. */
export function checkpointFile(budget: number): string {
  return `q${budget}.weights`;
}

/** The bookkeeping of one run; the steps read and extend it. */
export interface RunState {
  readonly learner: Learner;
  readonly oracle: Oracle;
  readonly data: LoopData;
  readonly config: LoopConfig;
  readonly poolSize: number;
  readonly classes: number;
  /** Seed of the substitute's initial weights (the scratch recipe returns to them every round). */
  readonly initSeed: number;
  /** `oracle.spent` when the run started. */
  readonly spentAtStart: number;
  /** Pool indices queried, in query order. */
  readonly queried: number[];
  readonly queriedSet: Set<number>;
  /** The oracle's answers, one array per query call, in query order. */
  readonly answerRows: Float32Array[];
  /** Pool indices the scratch recipe trains on (seed and batches, not validation). */
  readonly trainIndices: number[];
  /** Training targets of `trainIndices`, one array per query call. */
  readonly trainTargets: Float32Array[];
  /** The queried validation split, when there is one. */
  validation?: { x: Uint8Array; y: Float32Array };
  /** The fixed stopping set. */
  stoppingIndices: number[];
  /** Predictions on the stopping set at the last evaluation (Cohen's kappa). */
  previousStopping: Int32Array | null;
  /** Report budgets not yet checkpointed, ascending. */
  pendingCheckpoints: number[];
  /** Checkpoints kept so far. */
  readonly checkpoints: Checkpoint[];
  /** Queries of the last evaluated round (`-1` before the first). */
  lastQueries: number;
  /** Round of the last evaluation. */
  lastRound: number;
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

/**
 * A fresh run state; the checkpoint budgets are those of `config.checkpoints` up to the run's
 * budget (a larger one would only repeat the last round's weights).
 */
export function createRunState(
  learner: Learner,
  oracle: Oracle,
  data: LoopData,
  config: LoopConfig,
): RunState {
  const budgets = [...new Set(config.checkpoints ?? [])].filter((b) => b <= config.budget);
  return {
    learner,
    oracle,
    data,
    config,
    poolSize: data.pool.length / data.imageSize,
    classes: learner.classes,
    initSeed: deriveSeed(config.seed, "init"),
    spentAtStart: oracle.spent,
    queried: [],
    queriedSet: new Set(),
    answerRows: [],
    trainIndices: [],
    trainTargets: [],
    stoppingIndices: [],
    previousStopping: null,
    pendingCheckpoints: budgets.sort((a, b) => a - b),
    checkpoints: [],
    lastQueries: -1,
    lastRound: -1,
  };
}

/** Queries this run has spent. */
export function spentOf(state: RunState): number {
  return state.oracle.spent - state.spentAtStart;
}

/** The learner's predictions on the pool images at `indices`. */
export async function predictImages(
  learner: Learner,
  data: LoopData,
  indices: ArrayLike<number>,
): Promise<Probs> {
  return createProbs(
    await learner.predictProba(gatherImages(data.pool, indices, data.imageSize)),
    learner.classes,
  );
}

/** The substitute's predictions on the pool images at `indices`. */
export function predictPool(state: RunState, indices: ArrayLike<number>): Promise<Probs> {
  return predictImages(state.learner, state.data, indices);
}

/** Training targets from answers: the answers themselves (soft) or their one-hot argmax (hard). */
export function targetsOf(state: RunState, answers: Probs): Float32Array {
  return state.config.labels === "soft"
    ? answers.data
    : oneHot(argmaxRows(answers), state.classes).data;
}

/** Every answer so far, in query order, as one matrix. */
export function allAnswers(state: RunState): Probs {
  const total = state.answerRows.reduce((n, a) => n + a.length, 0);
  const out = new Float32Array(total);
  let offset = 0;
  for (const a of state.answerRows) {
    out.set(a, offset);
    offset += a.length;
  }
  return createProbs(out, state.classes);
}

/** Query step: asks the oracle about `indices` and records them as queried. */
export async function queryStep(state: RunState, indices: readonly number[]): Promise<Probs> {
  const { data } = state;
  const answers = await state.oracle.query(gatherImages(data.pool, indices, data.imageSize));
  for (const i of indices) {
    state.queried.push(i);
    state.queriedSet.add(i);
  }
  state.answerRows.push(answers.data);
  return answers;
}

/** The pool rows a round scores, in ascending pool order. */
export interface Scored {
  /** Pool indices: the open ones (or a seeded subsample), plus the queried ones if the strategy reads them. */
  readonly indices: number[];
  /** The substitute's predictions on them; `null` for the random strategy, which reads none. */
  readonly probs: Probs | null;
  /** DeepFool perturbation norms on them, for the DFAL strategies (queried rows: Infinity). */
  readonly perturbations?: Float64Array;
}

/** The pool indices a round scores: open ones, or a seeded subsample of them, and queried ones when needed. */
export function scoredIndices(state: RunState, round: number): number[] {
  const { config, queriedSet } = state;
  const open: number[] = [];
  for (let i = 0; i < state.poolSize; i++) if (!queriedSet.has(i)) open.push(i);
  let chosen = open;
  const sub = config.scoringSubsample;
  if (sub !== undefined && sub !== null && sub < open.length) {
    chosen = randomSeeding(open.length, sub, {
      seed: deriveSeed(config.seed, "subsample", round),
    }).map((p) => open[p]!);
  }
  if (needsQueriedRows(config.strategy)) chosen = chosen.concat([...queriedSet]);
  return chosen.sort((a, b) => a - b);
}

/** Score step: which pool rows this round looks at, and the substitute's view of them. */
export async function scoreStep(state: RunState, round: number): Promise<Scored> {
  const indices = scoredIndices(state, round);
  if (state.config.strategy === "random") return { indices, probs: null };
  const probs = await predictPool(state, indices);
  if (!needsPerturbations(state.config.strategy)) return { indices, probs };
  return { indices, probs, perturbations: await perturbationsOf(state, indices, round) };
}

/**
 * DeepFool norms of the open images among `indices` (or of a seeded random `dfalSubsample` of
 * them); Infinity for the others.
 */
async function perturbationsOf(
  state: RunState,
  indices: readonly number[],
  round: number,
): Promise<Float64Array> {
  const { learner, data, queriedSet, config } = state;
  if (learner.perturbationNorms === undefined) {
    throw new TypeError(
      `Invalid learner: strategy "${config.strategy}" needs DeepFool perturbation norms, ` +
        "and this learner has no perturbationNorms()",
    );
  }
  let rows = indices.flatMap((p, r) => (queriedSet.has(p) ? [] : [r]));
  const sub = config.dfalSubsample;
  if (sub !== undefined && sub !== null && sub < rows.length) {
    const all = rows;
    rows = randomSeeding(all.length, sub, {
      seed: deriveSeed(config.seed, "dfal-subsample", round),
    })
      .map((i) => all[i]!).sort((a, b) => a - b);
  }
  const norms = await learner.perturbationNorms(
    gatherImages(data.pool, rows.map((r) => indices[r]!), data.imageSize),
    config.deepfoolSteps ?? 20,
  );
  const out = new Float64Array(indices.length).fill(Infinity);
  rows.forEach((r, i) => (out[r] = norms[i]!));
  return out;
}

/** Select step: `k` pool indices by the configured strategy, and the batch's mean entropy. */
export async function selectStep(
  state: RunState,
  scored: Scored,
  k: number,
  round: number,
): Promise<{ picked: number[]; batchEntropy: number | null }> {
  const { config, classes, queriedSet } = state;
  const seed = deriveSeed(config.seed, "select", round);
  if (scored.probs === null) {
    const picked = select("random", {
      probs: createProbs(new Float32Array(scored.indices.length * classes), classes),
      indices: scored.indices,
      queried: queriedSet,
    }, { k, seed });
    return { picked, batchEntropy: meanEntropy(await predictPool(state, picked)) };
  }
  const picked = select(config.strategy, {
    probs: scored.probs,
    indices: scored.indices,
    queried: queriedSet,
    answers: allAnswers(state),
    ...(scored.perturbations === undefined ? {} : { perturbations: scored.perturbations }),
  }, {
    k,
    seed,
    clusters: config.clusters ?? 10,
    ...(config.candidates === undefined ? {} : { candidates: config.candidates }),
  });
  const rowOf = new Map<number, number>();
  scored.indices.forEach((p, r) => rowOf.set(p, r));
  return { picked, batchEntropy: meanEntropy(scored.probs, picked.map((p) => rowOf.get(p)!)) };
}

/**
 * Train step. Incremental: `epochs` passes over the new images only. Scratch: back to the initial
 * weights, then up to `epochs` passes over everything queried (validation split aside), with
 * early stopping on the validation split when there is one.
 */
export async function trainStep(
  state: RunState,
  newIndices: readonly number[],
  newTargets: Float32Array,
): Promise<void> {
  const { config, learner, data, classes } = state;
  const { epochs, batchSize, patience } = config.train;
  if (config.recipe === "incremental") {
    await learner.fit(gatherImages(data.pool, newIndices, data.imageSize), newTargets, {
      epochs,
      batchSize,
    });
    return;
  }
  learner.reinitialize(state.initSeed);
  const y = new Float32Array(state.trainIndices.length * classes);
  let offset = 0;
  for (const t of state.trainTargets) {
    y.set(t, offset);
    offset += t.length;
  }
  const validation = state.validation;
  await learner.fit(gatherImages(data.pool, state.trainIndices, data.imageSize), y, {
    epochs,
    batchSize,
    ...(validation === undefined
      ? {}
      : { validation, ...(patience === undefined ? {} : { patience }) }),
  });
}

/** Evaluate step: the round's trace row (accuracy, agreement, entropies, kappa). */
export async function evaluateStep(
  state: RunState,
  round: number,
  batchEntropy: number | null,
): Promise<TraceRow> {
  const { data, learner, classes } = state;
  const predicted = argmaxRows(createProbs(await learner.predictProba(data.testImages), classes));
  let correct = 0;
  let agree = 0;
  for (let i = 0; i < predicted.length; i++) {
    if (predicted[i] === data.testLabels[i]) correct++;
    if (predicted[i] === data.targetTestLabels[i]) agree++;
  }
  const n = Math.max(1, predicted.length);
  const stopProbs = await predictPool(state, state.stoppingIndices);
  const stopPredicted = argmaxRows(stopProbs);
  const previous = state.previousStopping;
  state.previousStopping = stopPredicted;
  const queries = spentOf(state);
  state.lastQueries = queries;
  state.lastRound = round;
  return {
    round,
    queries,
    test_accuracy: correct / n,
    agreement: agree / n,
    batch_entropy: batchEntropy,
    stopping_entropy: meanEntropy(stopProbs) ?? 0,
    kappa: previous === null ? null : cohensKappa(previous, stopPredicted),
  };
}

/**
 * Checkpoint step: keeps the current weights (those of the last evaluated round) for every
 * pending budget `b` with `lastQueries <= b < upTo`, i.e. each budget whose last round at or
 * below it is the last evaluated one. Call it after a query and before training, with `upTo` the
 * queries spent now, and once at the end with `upTo = Infinity`. Returns the new checkpoints.
 */
export function checkpointStep(state: RunState, upTo: number): Checkpoint[] {
  const due = state.pendingCheckpoints.filter((b) => b >= state.lastQueries && b < upTo);
  if (due.length === 0 || state.lastQueries < 0) return [];
  const save = state.learner.saveWeights;
  if (save === undefined) {
    throw new TypeError("Invalid learner: checkpoints were asked for and it has no saveWeights()");
  }
  const weights = save.call(state.learner);
  const made = due.map((budget) => ({
    budget,
    round: state.lastRound,
    queries: state.lastQueries,
    weights,
  }));
  state.pendingCheckpoints = state.pendingCheckpoints.filter((b) => !due.includes(b));
  state.checkpoints.push(...made);
  return made;
}
