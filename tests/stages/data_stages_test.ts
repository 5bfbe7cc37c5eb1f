import assert from "node:assert/strict";
import { run as prepare, validate as validatePrepare } from "../../stages/prepare.ts";
import { run as target, validate as validateTarget } from "../../stages/target.ts";
import { readSplitFile } from "../../lib/data/split_file.ts";
import { decodeWeights } from "../../lib/ml/weights.ts";
import type { ParamValue, StageContext } from "../../lib/pipeline/stage_context.ts";

function ctx(
  name: string,
  vars: Record<string, ParamValue>,
  params: Record<string, ParamValue>,
  deps: string[],
  outs: string[],
): StageContext {
  return { name, vars, params, deps, outs, progress: () => {} };
}

Deno.test("prepare/target validate: bad params are reported by dotted key", () => {
  assert.deepEqual(
    validatePrepare({ "data.download": "yes" }, { dataset: "cifar" }).map((i) => i.param),
    ["dataset", "data.download"],
  );
  assert.deepEqual(validatePrepare({ "data.dir": "/x" }, { dataset: "mnist" }), []);
  assert.deepEqual(
    validateTarget({ "target.epochs": 0 }, { dataset: "mnist" }).map((i) => i.param),
    ["target.epochs"],
  );
});

Deno.test("prepare: a missing data directory is a clear error and writes nothing", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const c = ctx(
      "prepare@mnist",
      { dataset: "mnist" },
      {
        "data.dir": `${dir}/none`,
        "data.download": false,
      },
      [],
      [`${dir}/out/`],
    );
    const saved = Deno.env.get("QUARRY_DATA");
    Deno.env.delete("QUARRY_DATA");
    try {
      await assert.rejects(() => prepare(c), /Data directory ".*none" does not exist/);
    } finally {
      if (saved !== undefined) Deno.env.set("QUARRY_DATA", saved);
    }
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("prepare: a file with a wrong checksum is a clear error and writes nothing", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/data/mnist`, { recursive: true });
    await Deno.writeFile(`${dir}/data/mnist/train-images-idx3-ubyte.gz`, new Uint8Array(100));
    const saved = Deno.env.get("QUARRY_DATA");
    Deno.env.set("QUARRY_DATA", `${dir}/data`);
    try {
      await assert.rejects(
        () =>
          prepare(ctx("prepare@mnist", { dataset: "mnist" }, { "data.download": false }, [], [
            `${dir}/out/`,
          ])),
        /Checksum mismatch for ".*mnist\/train-images-idx3-ubyte\.gz": expected SHA-256 440fcabf/,
      );
    } finally {
      if (saved !== undefined) Deno.env.set("QUARRY_DATA", saved);
      else Deno.env.delete("QUARRY_DATA");
    }
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["data"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const shared = Deno.env.get("QUARRY_DATA");
Deno.test({
  name: "prepare + target on real MNIST: deterministic split files, metrics, a smoke target",
  ignore: shared === undefined,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const params = { "data.dir": "/nonexistent", "data.download": false };
      const outs = (d: string) => [`${d}/train.bin`, `${d}/test.bin`, `${d}/metrics.json`];
      await prepare(ctx("prepare@mnist", { dataset: "mnist" }, params, [], outs(`${dir}/a`)));
      const metrics = JSON.parse(await Deno.readTextFile(`${dir}/a/metrics.json`));
      assert.equal(metrics.train.count, 60000);
      assert.deepEqual(metrics.test.histogram, [
        980,
        1135,
        1032,
        1010,
        982,
        892,
        958,
        1028,
        974,
        1009,
      ]);
      const test = await readSplitFile(`${dir}/a/test.bin`);
      assert.equal(test.count, 10000);
      assert.equal(test.dataset, "mnist");
      // A second run writes the same bytes.
      await prepare(ctx("prepare@mnist", { dataset: "mnist" }, params, [], [`${dir}/b/`]));
      for (const f of ["train.bin", "test.bin", "metrics.json"]) {
        assert.deepEqual(
          await Deno.readFile(`${dir}/b/${f}`),
          await Deno.readFile(`${dir}/a/${f}`),
        );
      }
      const targetParams = {
        "target.epochs": 1,
        "target.train_size": 256,
        "target.test_size": 200,
        "target.seed": 1,
      };
      const deps = [`${dir}/a/train.bin`, `${dir}/a/test.bin`];
      const progress: number[] = [];
      const measured = new Map<string, number>();
      await target({
        ...ctx("target@mnist", { dataset: "mnist" }, targetParams, deps, [`${dir}/t1/`]),
        progress: (done) => progress.push(done),
        measure: (name, value) => measured.set(name, value),
      });
      assert.ok(measured.get("train_seconds")! >= 0, "training time goes to ctx.measure");
      assert.ok(measured.get("samples_per_second")! > 0);
      await target(ctx("target@mnist", { dataset: "mnist" }, targetParams, deps, [
        `${dir}/t2/model.weights`,
        `${dir}/t2/metrics.json`,
      ]));
      const w1 = await Deno.readFile(`${dir}/t1/model.weights`);
      assert.deepEqual(w1, await Deno.readFile(`${dir}/t2/model.weights`));
      assert.equal(decodeWeights(w1).weights.length, 8);
      assert.deepEqual(progress, [1, 2, 3, 4]);
      const tm = JSON.parse(await Deno.readTextFile(`${dir}/t1/metrics.json`));
      assert.equal(tm.epochs, 1);
      assert.equal(tm.train_samples, 256);
      assert.equal(tm.test_samples, 200);
      assert.equal(tm.per_class_accuracy.length, 10);
      assert.ok(tm.test_accuracy > 0.3 && tm.test_accuracy <= 1, `accuracy ${tm.test_accuracy}`);
      // Wall-clock values go to the timing record (ctx.measure), never into a hashed out.
      assert.equal(tm.timing, undefined);
      assert.ok(!JSON.stringify(tm).includes("seconds"), "no wall-clock value in metrics.json");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
