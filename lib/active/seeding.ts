/**
 * Seeding: how the first batch is chosen before the substitute has learnt anything.
 *
 * - `random`: a seeded uniform sample of the pool (ActiveThief).
 * - `cluster`: the thesis's Algorithm 1 as its text describes it: K-Means with N clusters on the
 *   substitute's predictions, then the B points farthest from their own (nearest) centre.
 * - `cluster:thesis-code`: what the thesis code's `cluster_seeding` does: K-Means with a fixed
 *   10 clusters whatever N is, then the B points with the largest *sum* of distances to all
 *   centres.
 *
 * Ties are broken by the lower pool index. Both cluster methods run on whatever substitute the
 * caller passes; the thesis (text and code) passes an untrained one.
 *
 * @module
 */

import { createRng, deriveSeed } from "../util/random.ts";
import { rankBy } from "./_rank.ts";
import { centreDistances } from "./distances.ts";
import { fitCentres } from "./kmeans.ts";
import type { Probs } from "./probs.ts";

/** The seeding methods, by name. */
export const SEEDING_NAMES = ["random", "cluster", "cluster:thesis-code"] as const;

/** A seeding method's name. */
export type SeedingName = typeof SEEDING_NAMES[number];

/** Number of clusters the thesis code's `cluster_seeding` always uses. */
export const THESIS_CODE_CLUSTERS = 10;

/** True when `name` is one of {@linkcode SEEDING_NAMES}. */
export function isSeedingName(name: unknown): name is SeedingName {
  return typeof name === "string" && (SEEDING_NAMES as readonly string[]).includes(name);
}

function checkSize(size: number): void {
  if (!Number.isInteger(size) || size < 0) {
    throw new RangeError(`Invalid seed size: expected a non-negative integer, got ${size}`);
  }
}

/**
 * `size` distinct pool indices drawn uniformly (seeded) from 0..poolSize-1, in draw order; the
 * whole pool (shuffled) when `size >= poolSize`.
 *
 * @example Usage
 * ```ts
 * import { randomSeeding } from "./seeding.ts";
 * const a = randomSeeding(10, 3, { seed: 7 });
 * console.assert(a.length === 3 && new Set(a).size === 3);
 * console.assert(randomSeeding(10, 3, { seed: 7 }).join() === a.join());
 * ```
 */
export function randomSeeding(poolSize: number, size: number, options: { seed: number }): number[] {
  checkSize(size);
  if (!Number.isInteger(poolSize) || poolSize < 0) {
    throw new RangeError(`Invalid pool size: expected a non-negative integer, got ${poolSize}`);
  }
  const rng = createRng(deriveSeed(options.seed, "random-seeding"));
  const order = Array.from({ length: poolSize }, (_, i) => i);
  const k = Math.min(size, poolSize);
  // Partial Fisher–Yates: the first k slots are a uniform sample in draw order.
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(poolSize - i);
    const tmp = order[i]!;
    order[i] = order[j]!;
    order[j] = tmp;
  }
  return order.slice(0, k);
}

/** Options of {@linkcode clusterSeeding}. */
export interface ClusterSeedingOptions {
  /** N, the number of K-Means clusters (ignored by the thesis-code variant, which uses 10). */
  clusters: number;
  /** Seed of the K-Means initialisation. */
  seed: number;
  /** `"text"` (distance to own centre, N clusters) or `"code"` (summed distances, 10 clusters). */
  variant?: "text" | "code";
}

/**
 * Cluster seeding (thesis Algorithm 1): the `size` rows of `p` (the substitute's predictions on
 * the pool, one row per pool index) farthest from the K-Means centres, farthest first.
 *
 * @example Usage
 * ```ts
 * import { clusterSeeding } from "./seeding.ts";
 * import { probsFromRows } from "./probs.ts";
 * const p = probsFromRows([[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9]]);
 * console.assert(clusterSeeding(p, 2, { clusters: 2, seed: 1 }).length === 2);
 * ```
 */
export function clusterSeeding(p: Probs, size: number, options: ClusterSeedingOptions): number[] {
  checkSize(size);
  const code = options.variant === "code";
  if (p.rows === 0 || size === 0) return [];
  const centres = fitCentres(p, {
    clusters: code ? THESIS_CODE_CLUSTERS : options.clusters,
    seed: deriveSeed(options.seed, "cluster-seeding"),
  });
  const d = centreDistances(p, centres, code ? "sum" : "nearest");
  return rankBy(d, { descending: true }).slice(0, size);
}

/** What {@linkcode seed} needs: the pool size, and the substitute's pool predictions for clustering. */
export interface SeedInput {
  /** Number of images in the pool. */
  poolSize: number;
  /** The substitute's predictions, one row per pool index (needed by the cluster methods). */
  probs?: Probs;
}

/**
 * Runs the named seeding method: `size` distinct pool indices.
 *
 * @example Usage
 * ```ts
 * import { seed } from "./seeding.ts";
 * console.assert(seed("random", { poolSize: 5 }, 9, { clusters: 10, seed: 1 }).length === 5);
 * ```
 */
export function seed(
  name: SeedingName,
  input: SeedInput,
  size: number,
  options: { clusters: number; seed: number },
): number[] {
  switch (name) {
    case "random":
      return randomSeeding(input.poolSize, size, options);
    case "cluster":
    case "cluster:thesis-code": {
      if (input.probs === undefined) {
        throw new TypeError(`Invalid seeding input: "${name}" needs the substitute's predictions`);
      }
      if (input.probs.rows !== input.poolSize) {
        throw new TypeError(
          `Invalid seeding input: expected ${input.poolSize} prediction rows, got ${input.probs.rows}`,
        );
      }
      return clusterSeeding(input.probs, size, {
        ...options,
        variant: name === "cluster" ? "text" : "code",
      });
    }
    default: {
      const never: never = name;
      throw new RangeError(
        `Unknown seeding method "${never}": expected one of ${SEEDING_NAMES.join(", ")}`,
      );
    }
  }
}
