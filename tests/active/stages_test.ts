import assert from "node:assert/strict";
import { join } from "node:path";
import { writeSplitFile } from "../../lib/data/mod.ts";
import { createClassifier } from "../../lib/ml/mod.ts";
import { TINY, writeTinyWeights } from "../serve/_helpers.ts";
import { syntheticSplit } from "../serve/_smoke.ts";
import { createRng } from "../../lib/util/random.ts";
import type { ParamValue, StageContext } from "../../lib/pipeline/stage_context.ts";
import { TRACE_COLUMNS } from "../../lib/active/trace.ts";
import * as selectStage from "../../stages/select.ts";
import * as seedingStage from "../../stages/seeding.ts";
import * as stoppingStage from "../../stages/stopping.ts";
import * as transferStage from "../../stages/transfer.ts";
import * as ceilingStage from "../../stages/ceiling.ts";

async function fixtures(dir: string): Promise<{ prepare: string; target: string }> {
  const rng = createRng(7);
  const pixel = () => rng.int(256);
  const prepare = join(dir, "prepare");
  const target = join(dir, "target");
  await writeSplitFile(join(prepare, "train.bin"), syntheticSplit(80, "train", pixel));
  await writeSplitFile(join(prepare, "test.bin"), syntheticSplit(20, "test", pixel));
  await Deno.mkdir(target, { recursive: true });
  await writeTinyWeights(target, 3);
  return { prepare, target };
}

function context(
  name: string,
  deps: string[],
  outs: string[],
  params: Record<string, ParamValue>,
  vars: Record<string, ParamValue> = {},
): StageContext {
  return { name, vars, params, deps, outs, progress: () => {} };
}

const ACTIVE: Record<string, ParamValue> = {
  active: {
    seed_size: 10,
    batch: 10,
    budget: 40,
    stopping_set: 20,
    model: TINY as unknown as ParamValue,
    train: { epochs: 1, batch: 8 },
  },
};

Deno.test("select, seeding and stopping stages run end to end on tiny files", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { prepare, target } = await fixtures(dir);
    const selectOut = join(dir, "select") + "/";
    const withBudgets = { ...ACTIVE, "report.budgets": [40, 20, 15] };
    await selectStage.run(
      context("select@t", [prepare, target], [selectOut], withBudgets, {
        strategy: "entropy+clustering",
        repeat: 1,
      }),
    );
    const index = JSON.parse(await Deno.readTextFile(join(selectOut, "checkpoints/index.json")));
    assert.deepEqual(
      index.checkpoints.map((c: { budget: number; file: string; round: number }) => [
        c.budget,
        c.file,
        c.round,
      ]),
      [[15, "q15.weights", 0], [20, "q20.weights", 1], [40, "q40.weights", 3]],
    );
    const q20 = await Deno.readFile(join(selectOut, "checkpoints/q20.weights"));
    const checkpoint = createClassifier(TINY, { seed: 9 });
    checkpoint.loadWeights(q20, "q20.weights");
    checkpoint.dispose();
    const trace = JSON.parse(await Deno.readTextFile(join(selectOut, "trace.json")));
    assert.deepEqual(trace.map((r: { queries: number }) => r.queries), [10, 20, 30, 40]);
    const csv = await Deno.readTextFile(join(selectOut, "trace.csv"));
    assert.equal(csv.split("\n")[0], TRACE_COLUMNS.join(","));
    const summary = JSON.parse(await Deno.readTextFile(join(selectOut, "summary.json")));
    assert.equal(summary.strategy, "entropy+clustering");
    assert.equal(summary.dataset, "synthetic");
    assert.equal(summary.queries, 40);
    assert.equal(summary.seed, 1);

    // The same instance again gives the same bytes.
    const again = join(dir, "again") + "/";
    await selectStage.run(
      context("select@t", [prepare, target], [again], withBudgets, {
        strategy: "entropy+clustering",
        repeat: 1,
      }),
    );
    for (
      const name of ["trace.json", "trace.csv", "summary.json", "checkpoints/q40.weights"]
    ) {
      assert.deepEqual(
        await Deno.readFile(join(again, name)),
        await Deno.readFile(join(selectOut, name)),
        name,
      );
    }

    // Transfer: the substitute at 20 queries attacked, on the first 6 test images.
    const transferParams = {
      transfer: { test_size: 6, eps: [0.1, 0.5], pgd_steps: 2 },
    };
    // The ceiling and floor, measured once on the target.
    const refOut = join(dir, "ceiling.json");
    await ceilingStage.run(context("ceiling@t", [prepare, target], [refOut], transferParams));
    const transferDeps = [prepare, target, join(selectOut, "checkpoints") + "/", refOut];
    const tOut = join(dir, "transfer.json");
    const vars = { strategy: "entropy+clustering", repeat: 1, queries: 20 };
    await transferStage.run(context("transfer@t", transferDeps, [tOut], transferParams, vars));
    const transfer = JSON.parse(await Deno.readTextFile(tOut));
    assert.equal(transfer.images, 6);
    assert.equal(transfer.queries, 20);
    assert.equal(transfer.round, 1);
    assert.equal(transfer.strategy, "entropy+clustering");
    assert.deepEqual(
      transfer.rows.map((r: { attack: string; eps: number }) => `${r.attack}@${r.eps}`),
      ["fgsm@0.1", "pgd@0.1", "fgsm@0.5", "pgd@0.5"],
    );
    for (const row of transfer.rows) {
      assert.equal(row.transfer.of, transfer.target_correct);
      assert.equal(row.ceiling.of, transfer.target_correct);
      assert.equal(row.floor.of, transfer.target_correct);
      assert.equal(row.white_box.of, transfer.substitute_correct);
    }
    const reference = JSON.parse(await Deno.readTextFile(refOut));
    assert.deepEqual(
      reference.rows.map((r: { ceiling: unknown; floor: unknown }) => [r.ceiling, r.floor]),
      transfer.rows.map((r: { ceiling: unknown; floor: unknown }) => [r.ceiling, r.floor]),
    );
    const tAgain = join(dir, "transfer-again.json");
    await transferStage.run(context("transfer@t", transferDeps, [tAgain], transferParams, vars));
    assert.equal(await Deno.readTextFile(tAgain), await Deno.readTextFile(tOut));
    // A reference measured at other params is refused, naming the file and the field.
    const otherParams = { transfer: { ...transferParams.transfer, eps: [0.1] } };
    await assert.rejects(
      () => transferStage.run(context("transfer@t", transferDeps, [tAgain], otherParams, vars)),
      (e: unknown) =>
        e instanceof RangeError && e.message.includes(refOut) && /field "params"/.test(e.message),
    );
    await assert.rejects(
      () =>
        transferStage.run(
          context("transfer@t", transferDeps, [tAgain], transferParams, { ...vars, queries: 5 }),
        ),
      (e: unknown) => e instanceof RangeError && /no checkpoint at 5 queries/.test(e.message),
    );
    assert.deepEqual(
      transferStage.validate({ transfer: { eps: [0], attacks: ["cw"] } }, { queries: 0 })
        .map((i) => i.param),
      ["transfer.eps", "transfer.attacks", "queries"],
    );

    const stopOut = join(dir, "stopping.json");
    await stoppingStage.run(
      context("stopping", [selectOut], [stopOut], { stopping: { alphas: [0.01, 10] } }),
    );
    const stopping = JSON.parse(await Deno.readTextFile(stopOut));
    assert.equal(stopping.runs.length, 1);
    const big = stopping.runs[0].results.find((r: { rule: string; threshold: number }) =>
      r.rule === "batch-entropy" && r.threshold === 10
    );
    assert.equal(big.round, 1);
    assert.equal(big.queries, 20);
    assert.ok(stopping.summary.length >= 5);

    const seedOut = join(dir, "seeding.json");
    await seedingStage.run(
      context(
        "seeding@t",
        [
          join(prepare, "train.bin"),
          join(prepare, "test.bin"),
          join(target, "model.weights"),
        ],
        [seedOut],
        { ...ACTIVE, seeding: { sizes: [20, 10] } },
        { seeding: "cluster-3" },
      ),
    );
    const seeding = JSON.parse(await Deno.readTextFile(seedOut));
    assert.equal(seeding.seeding, "cluster");
    assert.equal(seeding.seed_clusters, 3);
    assert.deepEqual(seeding.results.map((r: { seed_size: number }) => r.seed_size), [10, 20]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("stage validate() names the field at fault before anything runs", () => {
  const fields = (issues: { param: string }[]) => issues.map((i) => i.param);
  assert.deepEqual(fields(selectStage.validate({}, { strategy: "entropy+magic" })), ["strategy"]);
  assert.deepEqual(fields(selectStage.validate({ "active.seeding": "kmeans" }, {})), [
    "active.seeding",
  ]);
  assert.deepEqual(
    fields(selectStage.validate({ active: { budget: 500, seed_size: 1000 } }, {})),
    ["active.budget"],
  );
  assert.deepEqual(fields(selectStage.validate({ "active.batch": 0 }, {})), ["active.batch"]);
  assert.deepEqual(fields(selectStage.validate({}, { batch: 0 })), ["batch"]);
  assert.deepEqual(
    fields(selectStage.validate({ "active.answer": "label" }, {})),
    ["active.labels"],
  );
  assert.deepEqual(selectStage.validate({}, { strategy: "k-center", repeat: 2 }), []);
  assert.deepEqual(selectStage.validate({}, { strategy: "dfal+k-center" }), []);
  assert.deepEqual(
    fields(selectStage.validate({ active: { dfal_subsample: 0, deepfool_steps: 0 } }, {})),
    ["active.deepfool_steps", "active.dfal_subsample"],
  );
  assert.deepEqual(fields(selectStage.validate({ "report.budgets": [0] }, {})), [
    "report.budgets",
  ]);
  // ":thesis-code" may be spelt "-thesis-code" (file-name friendly).
  assert.deepEqual(selectStage.validate({}, { strategy: "uniform-thesis-code" }), []);
  assert.deepEqual(selectStage.validate({}, { seeding: "cluster-thesis-code" }), []);
  assert.deepEqual(fields(selectStage.validate({}, { strategy: "entropy-thesis-code" })), [
    "strategy",
  ]);
  assert.deepEqual(
    fields(stoppingStage.validate({ "stopping.alphas": [0.01, -0.05] }, {})),
    ["stopping.alphas"],
  );
  assert.match(
    stoppingStage.validate({ stopping: { alphas: [-1] } }, {})[0]!.message,
    /non-negative number at index 0, got -1/,
  );
  assert.deepEqual(
    fields(seedingStage.validate({ "seeding.sizes": [1000, 0] }, { seeding: "cluster-20" })),
    ["seeding.sizes"],
  );
  assert.deepEqual(seedingStage.validate({ "active.budget": 10 }, { seeding: "cluster-50" }), []);
  assert.deepEqual(fields(seedingStage.validate({}, { seeding: "cluster-0" })), ["seeding"]);
});

const SMALL = { pool_size: 600, seed_size: 50, batch: 50 };

Deno.test("stage validate() knows the model names and the pool size", () => {
  const fields = (issues: { param: string }[]) => issues.map((i) => i.param);
  const model = selectStage.validate({ "active.model": "resnet" }, {});
  assert.deepEqual(fields(model), ["active.model"]);
  assert.match(model[0]!.message, /expected a model name \("lenet"\) or an object, got "resnet"/);
  const pool = { "active.pool_size": 600, "active.seed_size": 50, "active.batch": 50 };
  const batch = selectStage.validate({ ...pool, "active.batch": 1000 }, {});
  assert.deepEqual(fields(batch), ["active.batch"]);
  assert.match(batch[0]!.message, /at most the pool size \(active\.pool_size is 600\), got 1000/);
  assert.deepEqual(fields(selectStage.validate(pool, { batch: 601 })), ["batch"]);
  assert.deepEqual(fields(selectStage.validate({ ...pool, "active.seed_size": 700 }, {})), [
    "active.seed_size",
  ]);
  assert.deepEqual(selectStage.validate({ ...pool, "active.batch": 600 }, {}), []);
  assert.deepEqual(selectStage.validate({ "active.batch": 100000 }, {}), [], "pool 0: all");
  assert.deepEqual(
    fields(seedingStage.validate({ active: { ...SMALL }, "seeding.sizes": [50, 700] }, {})),
    ["seeding.sizes"],
  );
});
