/**
 * Smoke-sized inputs of an active-learning stage: synthetic prepared splits and a tiny trained
 * target (seconds to build), shared by the HTTP oracle tests.
 *
 * @module
 */
import { join } from "node:path";
import { readSplitFile, type SplitFile, writeSplitFile } from "../../lib/data/mod.ts";
import { createClassifier, initBackend } from "../../lib/ml/mod.ts";
import { createRng } from "../../lib/util/random.ts";
import { TINY } from "./_helpers.ts";

/**
 * A synthetic 28×28 split of `count` images whose labels cycle 0–9; `pixel(label, p)` gives
 * pixel `p` of an image, called image by image, pixel by pixel (so a seeded rng is reproducible).
 */
export function syntheticSplit(
  count: number,
  name: string,
  pixel: (label: number, p: number) => number,
): SplitFile {
  const images = new Uint8Array(count * 784);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = i % 10;
    for (let p = 0; p < 784; p++) images[i * 784 + p] = pixel(labels[i]!, p);
  }
  return {
    count,
    height: 28,
    width: 28,
    images,
    labels,
    dataset: "synthetic",
    split: name,
    classes: Array.from({ length: 10 }, (_, c) => String(c)),
  };
}

/** Smoke-sized synthetic splits: a pool of 600, a test set of 200. */
export async function smokeSplits(dir: string): Promise<string> {
  const rng = createRng(21);
  // A bright block whose place depends on the label, plus noise: learnable, not trivial.
  const pixel = (label: number, p: number) =>
    (Math.floor(Math.floor(p / 28) / 3) === label ? 160 : 0) + rng.int(96);
  const prepare = join(dir, "prepare");
  await writeSplitFile(join(prepare, "train.bin"), syntheticSplit(600, "train", pixel));
  await writeSplitFile(join(prepare, "test.bin"), syntheticSplit(200, "test", pixel));
  return prepare;
}

/** A tiny target trained for two epochs on the synthetic train split: answers that vary. */
export async function trainTinyTarget(prepare: string, dir: string): Promise<string> {
  await initBackend();
  const train = await readSplitFile(join(prepare, "train.bin"));
  const target = createClassifier(TINY, { seed: 5, optimizer: { learningRate: 0.01 } });
  await target.fit(train.images, train.labels, { epochs: 2, batchSize: 32 });
  const path = join(dir, "model.weights");
  await Deno.writeFile(path, target.saveWeights());
  target.dispose();
  return path;
}
