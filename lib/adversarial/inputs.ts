/**
 * The images a transfer measurement attacks: the first `testSize` test images of a prepared
 * dataset, in [0, 1], with their labels.
 *
 * @module
 */

import { join } from "node:path";
import { readSplitFile } from "../data/mod.ts";
import { toUnit } from "./model.ts";

/** Attacked images and their true labels. */
export interface AttackImages {
  readonly dataset: string;
  /** Row-major pixels in [0, 1]. */
  readonly x: Float32Array;
  readonly labels: ArrayLike<number>;
  /** Images (at most `testSize`). */
  readonly count: number;
}

/** Reads the first `testSize` images of `dataDir`'s `test.bin`. */
export async function readAttackImages(dataDir: string, testSize: number): Promise<AttackImages> {
  const test = await readSplitFile(join(dataDir, "test.bin"));
  const count = Math.min(testSize, test.count);
  const pixels = test.height * test.width;
  return {
    dataset: test.dataset,
    x: toUnit(test.images.subarray(0, count * pixels)),
    labels: test.labels.subarray(0, count),
    count,
  };
}
