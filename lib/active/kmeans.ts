/**
 * K-Means cluster centres of probability rows, through `npm:ml-kmeans` with a fixed seed
 * (k-means++ initialisation driven by ml-random's seeded generator), so the same rows give the
 * same centres on every run. The thesis code uses scikit-learn's `KMeans(max_iter=300)`.
 *
 * @module
 */

import { kmeans } from "ml-kmeans";
import { type Probs, probsRow } from "./probs.ts";

/** Options of {@linkcode fitCentres}. */
export interface FitCentresOptions {
  /** Number of clusters wanted; fewer are fit when the rows hold fewer distinct points. */
  clusters: number;
  /** Seed of the k-means++ initialisation. */
  seed: number;
  /** Most Lloyd iterations (300, as scikit-learn's default in the thesis code). */
  maxIterations?: number;
}

/**
 * Fits K-Means to the given rows of `p` (all rows when omitted) and returns the centres. When the
 * rows hold fewer distinct points than `clusters` (for instance an untrained substitute that
 * predicts nearly the same vector everywhere, or one-hot answers with few classes seen), the
 * number of clusters drops to the number of distinct points: ml-kmeans's k-means++ cannot place
 * more centres than there are distinct points.
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
  const { clusters, seed, maxIterations = 300 } = options;
  if (!Number.isInteger(clusters) || clusters <= 0) {
    throw new RangeError(`Invalid cluster count: expected a positive integer, got ${clusters}`);
  }
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
  const result = kmeans(points, k, {
    seed: seed >>> 0,
    initialization: "kmeans++",
    maxIterations,
  });
  return result.centroids.map((c) => Float64Array.from(c));
}
