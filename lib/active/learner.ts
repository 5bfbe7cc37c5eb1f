/**
 * The substitute as the loop sees it: something that trains on images with probability-vector
 * targets, predicts class probabilities, and can start over. `lib/ml`'s classifier fits it
 * through {@linkcode ./tfjs_learner.ts}; tests use a tiny pure-TypeScript learner.
 *
 * @module
 */

/** Validation data for early stopping. */
export interface LearnerValidation {
  /** Images, `n × imageSize` bytes. */
  readonly x: Uint8Array;
  /** Targets, `n × classes` (one-hot rows for hard labels). */
  readonly y: Float32Array;
}

/** Options of {@linkcode Learner.fit}. */
export interface LearnerFitOptions {
  /** Passes over the data (the most passes when early stopping is on). */
  readonly epochs: number;
  /** Mini-batch size. */
  readonly batchSize: number;
  /** Validation data; with `patience`, training stops early and keeps the best epoch. */
  readonly validation?: LearnerValidation;
  /** Epochs without improvement on the validation data before stopping. */
  readonly patience?: number;
}

/** A trainable substitute. */
export interface Learner {
  /** Number of classes it predicts. */
  readonly classes: number;
  /**
   * Trains in place on `x` (`n × imageSize` bytes) with targets `y` (`n × classes`: one-hot rows
   * for hard labels, probability vectors for soft ones).
   */
  fit(x: Uint8Array, y: Float32Array, options: LearnerFitOptions): Promise<void>;
  /** Class probabilities, row-major `n × classes`. */
  predictProba(x: Uint8Array): Float32Array | Promise<Float32Array>;
  /** Back to freshly initialised weights (and optimiser state) drawn from `seed`. */
  reinitialize(seed: number): void;
  /** The current weights as bytes (deterministic); needed for the loop's checkpoints. */
  saveWeights?(): Uint8Array;
  /**
   * The L2 norm of each image's DeepFool perturbation (at most `maxSteps` steps), for the DFAL
   * strategies: small means close to the decision boundary.
   */
  perturbationNorms?(x: Uint8Array, maxSteps: number): Float64Array | Promise<Float64Array>;
}
