import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { readSplitFile, writeSplitFile } from "../../lib/data/split_file.ts";
import { accuracy, argmaxRows, createClassifier, initBackend, LENET } from "../../lib/ml/mod.ts";
import { createRng } from "../../lib/util/random.ts";
import { run, validate } from "../../stages/pool_mismatch.ts";
import type { StageContext } from "../../lib/pipeline/stage_context.ts";

const CLASSES = Array.from({ length: 10 }, (_, i) => String(i));

/** A synthetic dataset: class c lights the 4×4 block at row 2c (`dark`: no blocks at all). */
async function writeDataset(dir: string, name: string, count: number, dark: boolean) {
  const rng = createRng(name.length);
  for (const split of ["train", "test"]) {
    const images = new Uint8Array(count * 784);
    const labels = new Uint8Array(count);
    for (let i = 0; i < count; i++) {
      const c = rng.int(10);
      labels[i] = c;
      for (let p = 0; p < 784; p++) images[i * 784 + p] = rng.int(40);
      if (!dark) {
        for (let y = 2 * c + 2; y < 2 * c + 6; y++) {
          for (let x = 10; x < 14; x++) images[i * 784 + y * 28 + x] = 255;
        }
      }
    }
    await Deno.mkdir(join(dir, "data", name), { recursive: true });
    await writeSplitFile(join(dir, "data", name, `${split}.bin`), {
      count,
      height: 28,
      width: 28,
      images,
      labels,
      dataset: name,
      split,
      classes: CLASSES,
    });
  }
}

function ctx(dir: string, pool: string, out: string): StageContext {
  return {
    name: `pool_bug@${pool}`,
    vars: { pool },
    params: {
      "pool_bug.epochs": 1,
      "pool_bug.batch": 4,
      "pool_bug.lr": 0.001,
      "pool_bug.train_size": 64,
      "pool_bug.test_size": 50,
    },
    deps: [`${dir}/data/`, `${dir}/target/victim/`],
    outs: [out],
    progress: () => {},
  };
}

Deno.test("stage pool_bug trains on the named pool, answered by the target, scored on its test set", async () => {
  await initBackend();
  const dir = await Deno.makeTempDir({ prefix: "quarry_pool_bug_" });
  try {
    await writeDataset(dir, "victim", 80, false);
    await writeDataset(dir, "other", 80, true);
    // An untrained target is enough: the stage only asks it.
    const target = createClassifier(LENET, { seed: 5 });
    await Deno.mkdir(join(dir, "target", "victim"), { recursive: true });
    await Deno.writeFile(join(dir, "target", "victim", "model.weights"), target.saveWeights());
    await Deno.writeTextFile(
      join(dir, "target", "victim", "metrics.json"),
      JSON.stringify({ dataset: "victim", test_accuracy: 0.1 }),
    );
    const test = await readSplitFile(join(dir, "data", "victim", "test.bin"));
    const expected = accuracy(
      argmaxRows(target.predictProba(test.images.subarray(0, 50 * 784)), 10),
      test.labels.subarray(0, 50),
    );
    target.dispose();

    const outs: Record<string, string> = {};
    for (const pool of ["other", "victim"]) {
      const out = join(dir, `${pool}.json`);
      await run(ctx(dir, pool, out));
      outs[pool] = await Deno.readTextFile(out);
    }
    const bug = JSON.parse(outs.other!);
    const own = JSON.parse(outs.victim!);
    equal(bug.pool, "other");
    equal(bug.pool_dataset, "other");
    equal(bug.target_dataset, "victim");
    equal(own.pool_dataset, "victim");
    equal(bug.pool_size, 64);
    equal(bug.test_size, 50);
    equal(bug.batch, 4);
    equal(bug.labels, "soft");
    equal(bug.target_test_accuracy, Math.round(expected * 1e6) / 1e6);
    equal(bug.answer_histogram.reduce((a: number, b: number) => a + b, 0), 64);
    ok(bug.test_accuracy >= 0 && bug.test_accuracy <= 1);
    // Another pool, other answers: the two substitutes differ.
    ok(outs.other !== outs.victim);
    // Same inputs, same bytes.
    const again = join(dir, "again.json");
    await run(ctx(dir, "other", again));
    equal(await Deno.readTextFile(again), outs.other);
    await rejects(
      () => run({ ...ctx(dir, "other", again), deps: [`${dir}/data/`] }),
      /expected the data folder and the target's folder/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("stage pool_bug validates its params and matrix value", () => {
  deepEqual(validate({ "pool_bug.labels": "maybe" }, { pool: "mnist" }), [{
    param: "pool_bug.labels",
    message: 'expected "soft" or "hard", got "maybe"',
  }]);
  equal(validate({}, {}).length, 1);
  ok(
    validate({ "pool_bug.batch": 0 }, { pool: "mnist" }).some((i) => i.param === "pool_bug.batch"),
  );
});
