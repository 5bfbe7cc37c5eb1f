/**
 * Loads a target's weights file (written by `stages/target.ts`) into a tfjs classifier for the
 * server. Predictions are the same bits as the in-process oracle's: same weights, same backend,
 * same `Classifier.predictProba`.
 *
 * @module
 */

import { createClassifier, decodeWeights, initBackend } from "../ml/mod.ts";
import type { ServeModel } from "./server.ts";

/** A loaded model; call `dispose()` when done. */
export interface LoadedModel extends ServeModel {
  dispose(): void;
}

/**
 * Reads `path` and builds the model.
 *
 * @throws {RangeError} naming the file when it is not a weights file of one-channel images.
 */
export async function loadServeModel(
  path: string,
  options: { threads?: number } = {},
): Promise<LoadedModel> {
  await initBackend({ threads: options.threads ?? 1 });
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new RangeError(
        `Model file "${path}" not found: expected a target's model.weights (deno task repro target)`,
      );
    }
    throw error;
  }
  const { spec, weights } = decodeWeights(bytes, path);
  const [height, width, channels] = spec.input;
  if (channels !== 1) {
    throw new RangeError(
      `Invalid model "${path}": expected one-channel images, got ${channels} channels`,
    );
  }
  const classifier = createClassifier(spec, { seed: 0 });
  try {
    classifier.setWeights(weights);
  } catch (error) {
    classifier.dispose();
    throw error;
  }
  return {
    classes: spec.classes,
    height,
    width,
    predictProba: (pixels) => classifier.predictProba(pixels),
    dispose: () => classifier.dispose(),
  };
}
