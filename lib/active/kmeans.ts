/**
 * K-Means cluster centres of probability rows as the thesis's scikit-learn ran them: k-means++
 * initialisation, `n_init = 10` seeded initialisations, each refined by Lloyd's algorithm (at
 * most 300 iterations, tolerance `1e-4` relative to the data's mean per-feature variance), and
 * the run with the lowest inertia (sum of squared distances to the nearest centre) kept —
 * `sklearn.cluster.KMeans`'s defaults in 2022 (scikit-learn 1.0/1.1). The engine is
 * `npm:ml-kmeans`, whose k-means++ follows scikit-learn's (greedy, `2 + ⌊ln k⌋` local trials);
 * each initialisation's seed is derived from the caller's seed, so the same rows give the same
 * centres on every run.
 *
 * The tolerance: scikit-learn stops when the *sum* over centres of the squared centre shifts is
 * at most `tol · mean(var(X, axis=0))`; ml-kmeans stops when *every* centre's squared shift is at
 * most its `tolerance`, so we pass that bound divided by the cluster count, which implies
 * scikit-learn's condition (never fewer iterations than scikit-learn would run).
 *
 * @module
 */

import { kmeans } from "ml-kmeans";
import { deriveSeed } from "../util/random.ts";
import { type Probs, probsRow } from "./probs.ts";

/** scikit-learn's `n_init` of the thesis's time. */
export const KMEANS_INITS = 10;
/** scikit-learn's `tol`. */
export const KMEANS_TOLERANCE = 1e-4;

/** Options of {@linkcode fitCentres}. */
export interface FitCentresOptions {
  /** Number of clusters wanted; fewer are fit when the rows hold fewer distinct points. */
  clusters: number;
  /** Seed from which every initialisation's seed is derived. */
  seed: number;
  /** Most Lloyd iterations per initialisation (300, scikit-learn's default). */
  maxIterations?: number;
  /** Initialisations, the best inertia kept ({@linkcode KMEANS_INITS}). */
  inits?: number;
  /** Relative tolerance ({@linkcode KMEANS_TOLERANCE}). */
  tolerance?: number;
}

/** One fitted clustering: its centres and inertia. */
export interface KMeansFit {
  /** The centres, one row per cluster. */
  centres: Float64Array[];
  /** Sum over the points of the squared distance to the nearest centre. */
  inertia: number;
  /** Which initialisation (0-based) gave it. */
  init: number;
}

function squaredDistance(a: readonly number[], b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    s += d * d;
  }
  return s;
}

/** Sum of squared distances of `points` to their nearest centre. */
export function inertiaOf(points: readonly (readonly number[])[], centres: ArrayLike<number>[]) {
  let total = 0;
  for (const p of points) {
    let best = Infinity;
    for (const c of centres) best = Math.min(best, squaredDistance(p, c));
    total += best;
  }
  return total;
}

/** scikit-learn's `_tolerance`: `tol` times the mean over features of the points' variance. */
function scaledTolerance(points: readonly (readonly number[])[], tol: number): number {
  const n = points.length;
  const dims = points[0]!.length;
  let sum = 0;
  for (let j = 0; j < dims; j++) {
    let mean = 0;
    for (const p of points) mean += p[j]!;
    mean /= n;
    let v = 0;
    for (const p of points) v += (p[j]! - mean) ** 2;
    sum += v / n;
  }
  return (sum / dims) * tol;
}

function checkCount(value: number, what: string): void {
  if (!Number.isInteger(value) || value <= 0) {
    throw new RangeError(`Invalid ${what}: expected a positive integer, got ${value}`);
  }
}

/**
 * Fits K-Means to the given rows of `p` (all rows when omitted), `inits` times from seeded
 * k-means++ starts, and returns the fit with the lowest inertia (the first one on ties, as
 * scikit-learn). When the rows hold fewer distinct points than `clusters` (an untrained
 * substitute that predicts nearly the same vector everywhere, or one-hot answers with few classes
 * seen), the number of clusters drops to the number of distinct points: k-means++ cannot place
 * more centres than there are distinct points.
 *
 * @example Usage
 * ```ts
 * import { fitKMeans } from "./kmeans.ts";
 * import { probsFromRows } from "./probs.ts";
 * const p = probsFromRows([[1, 0], [1, 0], [0, 1]]);
 * const fit = fitKMeans(p, { clusters: 5, seed: 1 });
 * console.assert(fit.centres.length === 2 && fit.inertia === 0);
 * ```
 */
export function fitKMeans(
  p: Probs,
  options: FitCentresOptions,
  rows?: ArrayLike<number>,
): KMeansFit {
  const { clusters, seed, maxIterations = 300 } = options;
  const inits = options.inits ?? KMEANS_INITS;
  checkCount(clusters, "cluster count");
  checkCount(inits, "K-Means initialisation count");
  const count = rows === undefined ? p.rows : rows.length;
  if (count === 0) {
    throw new RangeError("Invalid K-Means input: expected at least one point, got none");
  }
  const points: number[][] = [];
  const distinct = new Set<string>();
  for (let r = 0; r < count; r++) {
    const row = Array.from(probsRow(p, rows === undefined ? r : rows[r]!));
    points.push(row);
    if (distinct.size < clusters) distinct.add(row.join(","));
  }
  const k = Math.min(clusters, distinct.size);
  const tolerance = scaledTolerance(points, options.tolerance ?? KMEANS_TOLERANCE) / k;
  let best: KMeansFit | undefined;
  for (let init = 0; init < inits; init++) {
    const result = kmeans(points, k, {
      seed: deriveSeed(seed, "kmeans-init", init),
      initialization: "kmeans++",
      maxIterations,
      tolerance,
    });
    const centres = result.centroids.map((c) => Float64Array.from(c));
    const inertia = inertiaOf(points, centres);
    // Strict `<`: on equal inertia the earlier initialisation stays (scikit-learn's rule).
    if (best === undefined || inertia < best.inertia) best = { centres, inertia, init };
  }
  return best!;
}

/**
 * The centres of {@linkcode fitKMeans}: best of `inits` seeded k-means++ initialisations.
 *
 * @example Usage
 * ```ts
 * import { fitCentres } from "./kmeans.ts";
 * import { probsFromRows } from "./probs.ts";
 * const p = probsFromRows([[1, 0], [1, 0], [0, 1]]);
 * console.assert(fitCentres(p, { clusters: 5, seed: 1 }).length === 2);
 * ```
 */
export function fitCentres(
  p: Probs,
  options: FitCentresOptions,
  rows?: ArrayLike<number>,
): Float64Array[] {
  return fitKMeans(p, options, rows).centres;
}
