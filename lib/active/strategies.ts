/**
 * The subset-selection strategies of the thesis (§3) and ActiveThief's k-center. Each takes the
 * substitute's predictions on the pool and returns `k` distinct, never-queried pool indices
 * (all remaining ones when fewer than `k` are left), deterministic for a seed.
 *
 * Tie-breaking, everywhere: equal scores or distances go to the lower pool index; a row's
 * predicted class is its largest column, the lower class on ties (a row of zeros predicts 0).
 *
 * Where the thesis code differs from its text (`research/anchors.md` §0), the text's behaviour has
 * the plain name and the code's has the suffix `:thesis-code`:
 *
 * | name | text (default) | `:thesis-code` |
 * |---|---|---|
 * | `uniform` | equal quota per predicted class, random within a class | walks the pool in index order taking up to a cumulative `(c+1)·⌊k/C⌋` of class c; random fill |
 * | `clustering` | K-Means (N) on the queried answers; farthest from the nearest centre | K-Means (10); farthest by summed distance to all centres |
 * | `entropy+clustering` | top `candidates` by entropy, then clustering within them | top 10,000 by entropy (with the code's rank-for-index check), summed distance |
 * | `entropy+uniform` | equal quota per predicted class, highest entropy within a class | cumulative quotas in entropy order, then fill by entropy |
 * | `entropy+clustering+uniform` | entropy subset, ordered by clustering distance, equal quota per class | top 20,000 by entropy + summed distance; no class step at all |
 *
 * ActiveThief's DFAL ranks open images by the L2 norm of their DeepFool perturbation on the
 * substitute, smallest first (closest to its decision boundary); `dfal+k-center` takes the DFAL
 * top `candidates` (default 10 × k) and runs k-center within them; rows whose norm is Infinity
 * (not measured) are candidates only when fewer than k were measured.
 *
 * @module
 */

import { createRng, deriveSeed } from "../util/random.ts";
import { rankBy } from "./_rank.ts";
import { type CentreDistance, centreDistances } from "./distances.ts";
import { fitCentres } from "./kmeans.ts";
import { argmaxRows, type Probs } from "./probs.ts";
import { equalQuotas } from "./quotas.ts";
import { entropyScores, leastConfidenceScores, marginScores } from "./scores.ts";
import {
  checkK,
  poolIndices,
  type SelectionInput,
  type SelectionOptions,
  unqueriedRows,
} from "./selection.ts";

/** The strategies, by name. */
export const STRATEGY_NAMES = [
  "random",
  "least-confidence",
  "margin",
  "entropy",
  "uniform",
  "uniform:thesis-code",
  "clustering",
  "clustering:thesis-code",
  "entropy+clustering",
  "entropy+clustering:thesis-code",
  "entropy+uniform",
  "entropy+uniform:thesis-code",
  "entropy+clustering+uniform",
  "entropy+clustering+uniform:thesis-code",
  "k-center",
  "dfal",
  "dfal+k-center",
] as const;

/** A strategy's name. */
export type StrategyName = typeof STRATEGY_NAMES[number];

/** True when `name` is one of {@linkcode STRATEGY_NAMES}. */
export function isStrategyName(name: unknown): name is StrategyName {
  return typeof name === "string" && (STRATEGY_NAMES as readonly string[]).includes(name);
}

/** Clusters the thesis code always fits in its clustering strategies. */
const CODE_CLUSTERS = 10;
/** Entropy subset of the thesis code's `cluster_entropy`. */
const CODE_ENTROPY_CLUSTER_LIMIT = 10_000;
/** Entropy subset of the thesis code's `batch_uncertainty_uniform`. */
const CODE_ENTROPY_CLUSTER_UNIFORM_LIMIT = 20_000;

/**
 * Whether a strategy reads the substitute's predictions on already-queried images (so a caller
 * that scores only part of the pool must include them): k-center uses them as its first centres,
 * and the thesis-code entropy+clustering variants rank the whole pool as the code does.
 */
export function needsQueriedRows(name: StrategyName): boolean {
  return name === "k-center" || name === "dfal+k-center" ||
    name === "entropy+clustering:thesis-code" ||
    name === "entropy+clustering+uniform:thesis-code";
}

/** Whether a strategy ranks by DeepFool perturbation norms (so `perturbations` must be given). */
export function needsPerturbations(name: StrategyName): boolean {
  return name === "dfal" || name === "dfal+k-center";
}

/** Whether a strategy fits K-Means on the oracle's answers (so `answers` must be given). */
export function needsAnswers(name: StrategyName): boolean {
  return name.includes("clustering");
}

interface Prepared {
  pool: Int32Array;
  open: number[];
}

function prepare(input: SelectionInput, k: number): Prepared {
  checkK(k);
  const pool = poolIndices(input);
  return { pool, open: unqueriedRows(pool, input.queried) };
}

function toPool(pool: Int32Array, rows: readonly number[]): number[] {
  return rows.map((r) => pool[r]!);
}

/** Seeded uniform sample of `k` of `rows` (ascending pool order before shuffling), in draw order. */
function sampleRows(rows: readonly number[], k: number, seed: number): number[] {
  const order = rows.slice();
  const rng = createRng(seed);
  const n = Math.min(k, order.length);
  for (let i = 0; i < n; i++) {
    const j = i + rng.int(order.length - i);
    const tmp = order[i]!;
    order[i] = order[j]!;
    order[j] = tmp;
  }
  return order.slice(0, n);
}

/** Takes an equal quota per predicted class from `ordered` rows, each class in the given order. */
function takeEqualPerClass(
  ordered: readonly number[],
  predicted: Int32Array,
  classes: number,
  k: number,
): number[] {
  const byClass: number[][] = Array.from({ length: classes }, () => []);
  for (const r of ordered) byClass[predicted[r]!]!.push(r);
  const quotas = equalQuotas(byClass.map((rows) => rows.length), k);
  return byClass.flatMap((rows, c) => rows.slice(0, quotas[c]!));
}

/**
 * The thesis code's per-class walk (`equal_labels`, `equal_entropy`): for class c = 0..C-1, walk
 * `ordered` and take rows of class c until the batch holds `(c + 1) · ⌊k / C⌋` rows (so a class
 * short of points leaves its share to the next class).
 */
function takeCumulativePerClass(
  ordered: readonly number[],
  predicted: Int32Array,
  classes: number,
  k: number,
): number[] {
  const share = Math.floor(k / classes);
  const out: number[] = [];
  for (let c = 0; c < classes; c++) {
    for (const r of ordered) {
      if (out.length >= (c + 1) * share) break;
      if (predicted[r] === c) out.push(r);
    }
  }
  return out;
}

function centres(input: SelectionInput, clusters: number, seed: number): Float64Array[] {
  const answers = input.answers;
  if (answers === undefined || answers.rows === 0) {
    throw new RangeError(
      "Invalid selection input: clustering needs the oracle's answers for at least one queried image",
    );
  }
  if (answers.classes !== input.probs.classes) {
    throw new TypeError(
      `Invalid selection input: expected answers with ${input.probs.classes} classes, got ${answers.classes}`,
    );
  }
  return fitCentres(answers, { clusters, seed: deriveSeed(seed, "clustering") });
}

function farthest(
  input: SelectionInput,
  prepared: Prepared,
  rows: readonly number[],
  centresList: Float64Array[],
  how: CentreDistance,
): number[] {
  const d = centreDistances(input.probs, centresList, how, rows);
  const positions = rankBy(d, { descending: true, keys: rows.map((r) => prepared.pool[r]!) });
  return positions.map((i) => rows[i]!);
}

/** Rows ordered by a per-row score, ties by lower pool index. */
function orderRows(
  scores: Float64Array,
  prepared: Prepared,
  rows: readonly number[],
  descending: boolean,
): number[] {
  return rankBy(scores, { descending, keys: prepared.pool, positions: rows });
}

/**
 * The thesis code's `cluster_entropy` / `batch_uncertainty_uniform`, quirks included: rank every
 * scored row by entropy; walk the ranks, and while fewer than `limit` ranks have been counted,
 * give rank `i` its summed distance to 10 centres, or 0 when the *rank* `i` is a queried pool index
 * (the code tests `i not in self.indices` on the rank); then take the unqueried images in
 * decreasing distance.
 */
function thesisCodeEntropyClustering(
  input: SelectionInput,
  prepared: Prepared,
  k: number,
  limit: number,
  seed: number,
): number[] {
  const { pool } = prepared;
  const all = Array.from({ length: pool.length }, (_, r) => r);
  const order = orderRows(entropyScores(input.probs), prepared, all, true);
  const cs = centres(input, CODE_CLUSTERS, seed);
  const ranks: number[] = [];
  const dist: number[] = [];
  let counter = 0;
  for (let rank = 0; rank < order.length; rank++) {
    if (counter >= limit) break;
    let d = 0;
    if (!input.queried.has(rank)) {
      counter++;
      d = centreDistances(input.probs, cs, "sum", [order[rank]!])[0]!;
    }
    ranks.push(rank);
    dist.push(d);
  }
  const out: number[] = [];
  // Equal distances (the zeros above included) go to the lower pool index, as everywhere.
  const keys = ranks.map((rank) => pool[order[rank]!]!);
  for (const j of rankBy(dist, { descending: true, keys })) {
    if (out.length >= k) break;
    const row = order[ranks[j]!]!;
    if (!input.queried.has(pool[row]!)) out.push(row);
  }
  return out;
}

/**
 * Selects `options.k` pool indices with the named strategy.
 *
 * @example Entropy picks the most uncertain unqueried points
 * ```ts
 * import { select } from "./strategies.ts";
 * import { probsFromRows } from "./probs.ts";
 * const probs = probsFromRows([[1, 0], [0.5, 0.5], [0.6, 0.4], [0.5, 0.5]]);
 * const picked = select("entropy", { probs, queried: new Set([1]) }, { k: 2, seed: 0 });
 * console.assert(picked.join() === "3,2");
 * ```
 */
export function select(
  name: StrategyName,
  input: SelectionInput,
  options: SelectionOptions,
): number[] {
  const { k, seed } = options;
  const prepared = prepare(input, k);
  const { pool, open } = prepared;
  const p: Probs = input.probs;
  const clusters = options.clusters ?? 10;
  const candidates = Math.max(k, options.candidates ?? 10 * k);
  // The k open rows that score highest (descending) or lowest.
  const topOpen = (scores: Float64Array, descending: boolean) =>
    orderRows(scores, prepared, open, descending).slice(0, k);
  let rows: number[];
  switch (name) {
    case "random":
      rows = sampleRows(open, k, deriveSeed(seed, "random-strategy"));
      break;
    case "least-confidence":
      rows = topOpen(leastConfidenceScores(p), true);
      break;
    case "margin":
      rows = topOpen(marginScores(p), false);
      break;
    case "entropy":
      rows = topOpen(entropyScores(p), true);
      break;
    case "uniform": {
      const predicted = argmaxRows(p);
      // Random order within each class: shuffle all open rows once, then split by class.
      const shuffled = sampleRows(open, open.length, deriveSeed(seed, "uniform"));
      rows = takeEqualPerClass(shuffled, predicted, p.classes, k);
      break;
    }
    case "uniform:thesis-code": {
      rows = takeCumulativePerClass(open, argmaxRows(p), p.classes, k);
      const taken = new Set(rows);
      const rest = open.filter((r) => !taken.has(r));
      rows = rows.concat(sampleRows(rest, k - rows.length, deriveSeed(seed, "uniform-fill")));
      break;
    }
    case "entropy+uniform": {
      const ordered = orderRows(entropyScores(p), prepared, open, true);
      rows = takeEqualPerClass(ordered, argmaxRows(p), p.classes, k);
      break;
    }
    case "entropy+uniform:thesis-code": {
      const ordered = orderRows(entropyScores(p), prepared, open, true);
      rows = takeCumulativePerClass(ordered, argmaxRows(p), p.classes, k);
      const taken = new Set(rows);
      for (const r of ordered) {
        if (rows.length >= k) break;
        if (!taken.has(r)) rows.push(r);
      }
      break;
    }
    case "clustering":
      rows = farthest(input, prepared, open, centres(input, clusters, seed), "nearest").slice(0, k);
      break;
    case "clustering:thesis-code":
      rows = farthest(input, prepared, open, centres(input, CODE_CLUSTERS, seed), "sum").slice(
        0,
        k,
      );
      break;
    case "entropy+clustering": {
      const subset = orderRows(entropyScores(p), prepared, open, true).slice(0, candidates);
      rows = farthest(input, prepared, subset, centres(input, clusters, seed), "nearest")
        .slice(0, k);
      break;
    }
    case "entropy+clustering:thesis-code":
      rows = thesisCodeEntropyClustering(input, prepared, k, CODE_ENTROPY_CLUSTER_LIMIT, seed);
      break;
    case "entropy+clustering+uniform": {
      const subset = orderRows(entropyScores(p), prepared, open, true).slice(0, candidates);
      const ordered = farthest(input, prepared, subset, centres(input, clusters, seed), "nearest");
      rows = takeEqualPerClass(ordered, argmaxRows(p), p.classes, k);
      break;
    }
    case "entropy+clustering+uniform:thesis-code":
      rows = thesisCodeEntropyClustering(
        input,
        prepared,
        k,
        CODE_ENTROPY_CLUSTER_UNIFORM_LIMIT,
        seed,
      );
      break;
    case "k-center":
      rows = kCenterRows(input, prepared, k, open);
      break;
    case "dfal":
      rows = topOpen(perturbationsOf(input), false);
      break;
    case "dfal+k-center": {
      const d = perturbationsOf(input);
      // Only measured rows are candidates (a DFAL subsample leaves the others at Infinity).
      const measured = open.filter((r) => Number.isFinite(d[r]!));
      const subset = orderRows(d, prepared, measured.length >= k ? measured : open, false)
        .slice(0, candidates);
      rows = kCenterRows(input, prepared, k, subset.sort((a, b) => pool[a]! - pool[b]!));
      break;
    }
    default: {
      const never: never = name;
      throw new RangeError(
        `Unknown strategy "${never}": expected one of ${STRATEGY_NAMES.join(", ")}`,
      );
    }
  }
  return toPool(pool, rows);
}

/** The DeepFool norms of a DFAL strategy's input, checked. */
function perturbationsOf(input: SelectionInput): Float64Array {
  const d = input.perturbations;
  if (d === undefined || d.length !== input.probs.rows) {
    throw new RangeError(
      `Invalid selection input: DFAL needs one DeepFool perturbation norm per scored row (${input.probs.rows}), got ${
        d?.length ?? "none"
      }`,
    );
  }
  return d;
}

/**
 * ActiveThief's greedy k-center (core-set, Sener & Savarese 2018) on probability vectors: the
 * first centres are the substitute's predictions on the queried images; each step takes the
 * unqueried image farthest from its nearest centre and makes it a centre.
 */
function kCenterRows(
  input: SelectionInput,
  prepared: Prepared,
  k: number,
  open: readonly number[],
): number[] {
  const { pool } = prepared;
  const p = input.probs;
  const centreRows: number[] = [];
  for (let r = 0; r < pool.length; r++) if (input.queried.has(pool[r]!)) centreRows.push(r);
  if (centreRows.length === 0 && open.length > 0 && k > 0) {
    throw new RangeError(
      "Invalid selection input: k-center needs the substitute's predictions on at least one queried image",
    );
  }
  const minDist = new Float64Array(open.length).fill(Infinity);
  const classes = p.classes;
  const data = p.data;
  // Flat offsets into `data`, so the O(pool × centres) loop allocates nothing.
  const offsets = Int32Array.from(open, (r) => r * classes);
  const update = (centreOffset: number): void => {
    for (let i = 0; i < offsets.length; i++) {
      const o = offsets[i]!;
      const best = minDist[i]!;
      let s = 0;
      // Partial distances only grow: stop as soon as this centre cannot be the nearest.
      for (let c = 0; c < classes && s < best; c++) {
        const d = data[o + c]! - data[centreOffset + c]!;
        s += d * d;
      }
      if (s < best) minDist[i] = s;
    }
  };
  for (const r of centreRows) update(r * classes);
  const taken = new Uint8Array(open.length);
  const out: number[] = [];
  const n = Math.min(k, open.length);
  while (out.length < n) {
    let best = -1;
    for (let i = 0; i < open.length; i++) {
      if (taken[i]) continue;
      // `open` is in ascending pool order, so strict `>` keeps the lower pool index on ties.
      if (best === -1 || minDist[i]! > minDist[best]!) best = i;
    }
    taken[best] = 1;
    out.push(open[best]!);
    update(open[best]! * classes);
  }
  return out;
}
