/**
 * Smoke-sized inputs of an active-learning stage: synthetic prepared splits and a tiny trained
 * target (seconds to build), shared by the HTTP oracle tests.
 *
 * @module
 */
import { join } from "node:path";
import { readSplitFile, writeSplitFile } from "../../lib/data/mod.ts";
import { createClassifier, initBackend } from "../../lib/ml/mod.ts";
import { createRng } from "../../lib/util/random.ts";
import { TINY } from "./_helpers.ts";

/** Smoke-sized synthetic splits: a pool of 600, a test set of 200. */
export async function smokeSplits(dir: string): Promise<string> {
  const rng = createRng(21);
  const split = (count: number, name: string) => {
    const images = new Uint8Array(count * 784);
    const labels = new Uint8Array(count);
    for (let i = 0; i < count; i++) {
      labels[i] = i % 10;
      // A bright block whose place depends on the label, plus noise: learnable, not trivial.
      for (let p = 0; p < 784; p++) {
        const row = Math.floor(p / 28);
        images[i * 784 + p] = (Math.floor(row / 3) === labels[i] ? 160 : 0) + rng.int(96);
      }
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
  };
  const prepare = join(dir, "prepare");
  await writeSplitFile(join(prepare, "train.bin"), split(600, "train"));
  await writeSplitFile(join(prepare, "test.bin"), split(200, "test"));
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
