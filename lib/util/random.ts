/**
 * Seeded pseudo-random numbers for everything that needs chance: weight initialisation, shuffling,
 * random selection. `Math.random` is banned in Quarry because it cannot be replayed; these
 * generators give the same stream for the same seed on every machine.
 *
 * The core is SplitMix32-style mixing of a 32-bit counter (Mulberry32), fast and good enough for
 * shuffling and initialisation, with {@linkcode deriveSeed} to give independent streams to
 * independent jobs (`deriveSeed(seed, "init")`, `deriveSeed(seed, "shuffle")`).
 *
 * @module
 */

/** A seeded stream of pseudo-random numbers. */
export interface Rng {
  /** The next 32-bit unsigned integer. */
  nextUint32(): number;
  /** The next float in [0, 1), with 32 bits of randomness. */
  next(): number;
  /** The next integer in [0, n), unbiased; `n` must be a positive integer up to 2^32. */
  int(n: number): number;
  /** The next standard normal deviate (Box–Muller). */
  normal(): number;
  /** Shuffles `items` in place (Fisher–Yates) and returns it. */
  shuffle<T, A extends { length: number; [i: number]: T }>(items: A): A;
  /** A random permutation of 0..n-1. */
  permutation(n: number): Int32Array;
}

function checkSeed(seed: number, what: string): void {
  if (!Number.isSafeInteger(seed)) {
    throw new RangeError(`Invalid ${what}: expected a safe integer, got ${seed}`);
  }
}

/** Folds any safe integer into 32 bits (both halves count, so 1 and 2^32 + 1 differ). */
function fold(seed: number): number {
  const lo = seed >>> 0;
  const hi = Math.floor(seed / 4294967296) >>> 0;
  return (lo ^ Math.imul(hi ^ 0x9e3779b9, 0x85ebca6b)) >>> 0;
}

/** The 32-bit finaliser of MurmurHash3: a bijective avalanche mix. */
function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/**
 * Derives an independent 32-bit seed from a seed and labels, so that separate jobs seeded from
 * one user seed do not share a stream.
 *
 * @example
 * ```ts
 * import { deriveSeed } from "./random.ts";
 * console.assert(deriveSeed(1, "init") !== deriveSeed(1, "shuffle"));
 * console.assert(deriveSeed(1, "init") === deriveSeed(1, "init"));
 * ```
 */
export function deriveSeed(seed: number, ...labels: (string | number)[]): number {
  checkSeed(seed, "seed");
  let h = mix32(fold(seed) ^ 0x6a09e667);
  for (const label of labels) {
    const text = typeof label === "number" ? `#${label}` : label;
    for (let i = 0; i < text.length; i++) {
      h = mix32((h ^ text.charCodeAt(i)) + 0x9e3779b9);
    }
    h = mix32(h ^ 0xbb67ae85);
  }
  return h;
}

/**
 * Creates a seeded generator (Mulberry32).
 *
 * @example
 * ```ts
 * import { createRng } from "./random.ts";
 * const a = createRng(42), b = createRng(42);
 * console.assert(a.next() === b.next());
 * ```
 */
export function createRng(seed: number): Rng {
  checkSeed(seed, "seed");
  let state = fold(seed);
  let spareNormal: number | null = null;
  const nextUint32 = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  const next = (): number => nextUint32() / 4294967296;
  const int = (n: number): number => {
    if (!Number.isInteger(n) || n <= 0 || n > 4294967296) {
      throw new RangeError(`Invalid range for Rng.int: expected an integer in [1, 2^32], got ${n}`);
    }
    // Rejection sampling removes the modulo bias.
    const limit = 4294967296 - (4294967296 % n);
    let x = nextUint32();
    while (x >= limit) x = nextUint32();
    return x % n;
  };
  const rng: Rng = {
    nextUint32,
    next,
    int,
    normal(): number {
      if (spareNormal !== null) {
        const z = spareNormal;
        spareNormal = null;
        return z;
      }
      let u = 0;
      while (u === 0) u = next();
      const v = next();
      const r = Math.sqrt(-2 * Math.log(u));
      spareNormal = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    },
    shuffle<T, A extends { length: number; [i: number]: T }>(items: A): A {
      for (let i = items.length - 1; i > 0; i--) {
        const j = int(i + 1);
        const tmp = items[i]!;
        items[i] = items[j]!;
        items[j] = tmp;
      }
      return items;
    },
    permutation(n: number): Int32Array {
      if (!Number.isInteger(n) || n < 0) {
        throw new RangeError(`Invalid permutation size: expected a non-negative integer, got ${n}`);
      }
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = i;
      return rng.shuffle<number, Int32Array>(out);
    },
  };
  return rng;
}
