/**
 * The oracle: the attacker's only access to the target. It answers top-1 labels or probability
 * vectors, counts every image asked (validation images included: each image sent is one query,
 * as in ActiveThief's `budget = seed + val + rounds · k`), and refuses to go past the budget.
 *
 * @module
 */

import { argmaxRows, createProbs, oneHot, type Probs } from "./probs.ts";

/** The target as the oracle sees it: a black box from images to class probabilities. */
export interface Target {
  /**
   * Class probabilities for `count` images (row-major `count × classes`), given as raw pixel
   * bytes, `count × imageSize` of them.
   */
  predictProba(images: Uint8Array, count: number): Float32Array | Promise<Float32Array>;
}

/** What the oracle answers: the top-1 label (as a one-hot row) or the full probability vector. */
export type AnswerKind = "label" | "probabilities";

/** Options of {@linkcode Oracle}. */
export interface OracleOptions {
  /** Most images the oracle will answer in total. */
  budget: number;
  /** Top-1 labels or probability vectors. */
  answer: AnswerKind;
  /** Number of classes the target predicts. */
  classes: number;
  /** Bytes per image (784 for 28×28 greyscale). */
  imageSize: number;
}

/** Thrown when a query would spend more images than the budget has left. */
export class BudgetExceededError extends RangeError {
  /** Images asked for in the refused query. */
  readonly asked: number;
  /** Images left in the budget when it was refused. */
  readonly remaining: number;
  /** Builds the error; the message says how many were asked and left. */
  constructor(asked: number, remaining: number, budget: number) {
    super(
      `Query budget exceeded: asked for ${asked} images with ${remaining} of the budget of ${budget} left`,
    );
    this.name = "BudgetExceededError";
    this.asked = asked;
    this.remaining = remaining;
  }
}

/**
 * Wraps a {@linkcode Target} with query counting and a budget.
 *
 * @example Usage
 * ```ts
 * import { Oracle } from "./oracle.ts";
 * const target = { predictProba: (_x: Uint8Array, n: number) => new Float32Array(n * 2).fill(0.5) };
 * const oracle = new Oracle(target, { budget: 3, answer: "label", classes: 2, imageSize: 1 });
 * await oracle.query(new Uint8Array(2));
 * console.assert(oracle.spent === 2 && oracle.remaining === 1);
 * ```
 */
export class Oracle {
  #target: Target;
  #options: OracleOptions;
  #spent = 0;

  /** Wraps `target`; nothing is asked yet. */
  constructor(target: Target, options: OracleOptions) {
    const { budget, classes, imageSize, answer } = options;
    if (!Number.isInteger(budget) || budget < 0) {
      throw new RangeError(`Invalid query budget: expected a non-negative integer, got ${budget}`);
    }
    if (!Number.isInteger(classes) || classes <= 0) {
      throw new RangeError(`Invalid class count: expected a positive integer, got ${classes}`);
    }
    if (!Number.isInteger(imageSize) || imageSize <= 0) {
      throw new RangeError(`Invalid image size: expected a positive integer, got ${imageSize}`);
    }
    if (answer !== "label" && answer !== "probabilities") {
      throw new RangeError(
        `Invalid oracle answer kind: expected "label" or "probabilities", got "${answer}"`,
      );
    }
    this.#target = target;
    this.#options = { ...options };
  }

  /** Images answered so far. */
  get spent(): number {
    return this.#spent;
  }

  /** Images the budget still allows. */
  get remaining(): number {
    return this.#options.budget - this.#spent;
  }

  /** The budget. */
  get budget(): number {
    return this.#options.budget;
  }

  /** What the oracle answers. */
  get answer(): AnswerKind {
    return this.#options.answer;
  }

  /**
   * Asks the target about the images (`n × imageSize` bytes). Returns one row per image: the
   * target's probabilities, or a one-hot row of its top-1 class. Throws
   * {@linkcode BudgetExceededError} before asking anything if the budget would be exceeded.
   */
  async query(images: Uint8Array): Promise<Probs> {
    const { imageSize, classes, budget, answer } = this.#options;
    if (images.length % imageSize !== 0) {
      throw new TypeError(
        `Invalid query: expected a multiple of ${imageSize} bytes per image, got ${images.length} bytes`,
      );
    }
    const n = images.length / imageSize;
    if (n > this.remaining) throw new BudgetExceededError(n, this.remaining, budget);
    this.#spent += n;
    if (n === 0) return createProbs(new Float32Array(0), classes);
    const out = await this.#target.predictProba(images, n);
    if (out.length !== n * classes) {
      throw new TypeError(
        `Invalid target answer: expected ${
          n * classes
        } values (${n} images × ${classes} classes), got ${out.length}`,
      );
    }
    const probs = createProbs(out, classes);
    return answer === "label" ? oneHot(argmaxRows(probs), classes) : probs;
  }
}
