/**
 * The edges of the active-learning stages: find the input files among a stage's deps, load the
 * prepared splits and the target's weights, build the substitute, and write results atomically.
 * Loads tfjs (through `lib/ml`), so it is kept out of `mod.ts`.
 *
 * @module
 */

import { join } from "node:path";
import { readSplitFile } from "../data/mod.ts";
import {
  type Classifier,
  createClassifier,
  initBackend,
  parseModelSpec,
  readClassifier,
  sizeOrAll,
} from "../ml/mod.ts";
import { canonicalJson } from "../util/json.ts";
import { writeFileAtomic } from "../util/fs.ts";
import { classifierLearner, classifierTarget } from "./classifier_learner.ts";
import { createHttpOracle } from "./http_oracle.ts";
import type { Learner } from "./learner.ts";
import type { LoopData } from "./loop.ts";
import { Oracle } from "./oracle.ts";
import type { ActiveSettings, HttpOracleParam } from "./params.ts";
import { argmaxRows, createProbs } from "./probs.ts";

/** The three inputs of an active-learning stage. */
export interface ExperimentInputs {
  /** The prepared train split (the attacker's pool; its labels are never read). */
  readonly train: string;
  /** The prepared test split. */
  readonly test: string;
  /** The target's weights file. */
  readonly weights: string;
}

/** Known file names inside a dep folder, in the order they are taken. */
const FOLDER_FILES = ["train.bin", "test.bin", "model.weights"];

/**
 * Finds the train split, test split and target weights among `deps`: three files in that order,
 * or folders holding `train.bin`, `test.bin` and `model.weights` (a `prepare` folder and a
 * `target` folder), in any mix.
 *
 * @throws {TypeError} naming the stage when they cannot be found.
 */
export function resolveInputs(deps: readonly string[], stage: string): ExperimentInputs {
  const files: string[] = [];
  for (const dep of deps) {
    let isDir = dep.endsWith("/");
    if (!isDir) {
      try {
        isDir = Deno.statSync(dep).isDirectory;
      } catch {
        isDir = false;
      }
    }
    if (!isDir) {
      files.push(dep);
      continue;
    }
    for (const name of FOLDER_FILES) {
      try {
        if (Deno.statSync(join(dep, name)).isFile) files.push(join(dep, name));
      } catch {
        // not in this folder
      }
    }
  }
  if (files.length < 3) {
    throw new TypeError(
      `Invalid deps of stage ${stage}: expected the train split, the test split and the target ` +
        `weights (files, or folders holding ${FOLDER_FILES.join(", ")}), got ${
          JSON.stringify(deps)
        }`,
    );
  }
  return { train: files[0]!, test: files[1]!, weights: files[2]! };
}

/**
 * Paths of a stage's outs: as many files as `names`, in order, or one folder (ending in `/`)
 * to be filled with `names`.
 *
 * @throws {TypeError} naming the stage otherwise.
 */
export function resolveOuts(
  outs: readonly string[],
  names: readonly string[],
  stage: string,
): string[] {
  if (outs.length === 1 && outs[0]!.endsWith("/")) return names.map((n) => join(outs[0]!, n));
  if (outs.length !== names.length) {
    throw new TypeError(
      `Invalid outs of stage ${stage}: expected ${names.join(", ")} or one folder, got ${
        JSON.stringify(outs)
      }`,
    );
  }
  return [...outs];
}

/** Everything a run needs, loaded. Call `dispose()` when done. */
export interface Experiment {
  /** Dataset name from the split file. */
  readonly dataset: string;
  /** The loop's images. */
  readonly data: LoopData;
  /** The target's accuracy on the (possibly truncated) test set. */
  readonly targetTestAccuracy: number;
  /** A fresh oracle with the given budget. */
  oracle(budget: number): Oracle;
  /** The substitute, as a learner. */
  readonly learner: Learner;
  /** Frees the tfjs models. */
  dispose(): void;
}

/** Loads splits and weights and builds target, oracle factory and substitute. */
export async function loadExperiment(
  inputs: ExperimentInputs,
  settings: ActiveSettings,
  options: { onBatch?: (done: number, total: number) => void } = {},
): Promise<Experiment> {
  await initBackend();
  const train = await readSplitFile(inputs.train);
  const test = await readSplitFile(inputs.test);
  const imageSize = train.height * train.width;
  const poolSize = sizeOrAll(settings.poolSize, train.count);
  const testSize = sizeOrAll(settings.testSize, test.count);
  const target = await readClassifier(inputs.weights);
  let substitute: Classifier | undefined;
  try {
    const testImages = test.images.subarray(0, testSize * imageSize);
    const testLabels = test.labels.subarray(0, testSize);
    const classes = target.classes;
    const targetTestLabels = argmaxRows(createProbs(target.predictProba(testImages), classes));
    let hits = 0;
    for (let i = 0; i < testSize; i++) if (targetTestLabels[i] === testLabels[i]) hits++;
    const spec = parseModelSpec(settings.model, "active.model");
    if (spec.classes !== classes) {
      throw new RangeError(
        `Invalid param "active.model": expected ${classes} classes like the target, got ${spec.classes}`,
      );
    }
    substitute = createClassifier(spec, {
      seed: settings.loop.seed,
      optimizer: { learningRate: settings.learningRate },
    });
    const sub = substitute;
    return {
      dataset: train.dataset,
      data: {
        pool: train.images.subarray(0, poolSize * imageSize),
        imageSize,
        testImages,
        testLabels,
        targetTestLabels,
      },
      targetTestAccuracy: testSize === 0 ? 0 : hits / testSize,
      oracle: (budget) =>
        settings.oracle === null
          ? new Oracle(classifierTarget(target), {
            budget,
            answer: settings.answer,
            classes,
            imageSize,
          })
          : createHttpOracle({
            url: settings.oracle.url,
            key: apiKey(settings.oracle),
            image: [train.height, train.width],
            classes,
            budget,
            answer: settings.answer,
          }),
      learner: classifierLearner(sub, options),
      dispose() {
        sub.dispose();
        target.dispose();
      },
    };
  } catch (error) {
    substitute?.dispose();
    target.dispose();
    throw error;
  }
}

/**
 * The API key of `active.oracle`, read from its environment variable.
 *
 * @throws {RangeError} naming the variable when it is unset or empty.
 */
export function apiKey(oracle: HttpOracleParam): string {
  const key = Deno.env.get(oracle.keyEnv);
  if (key === undefined || key === "") {
    throw new RangeError(
      `Invalid param "active.oracle": the environment variable ${oracle.keyEnv} (key_env) is not ` +
        `set; export it and list it under the stage's env:`,
    );
  }
  return key;
}

/** Writes a JSON value with sorted keys, 2-space indent and a final newline, atomically. */
export async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, canonicalJson(value, 2) + "\n");
}

/** Rounds to 6 decimals for summaries (traces keep full precision). */
export function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
