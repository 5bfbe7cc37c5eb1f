/** The grid projection of `bench/grid.ts`: work per instance and the wall time at --jobs. */

import assert from "node:assert/strict";
import { analyzePipeline, type Instance } from "../../lib/pipeline/mod.ts";
import {
  type Costs,
  instanceSeconds,
  instanceWork,
  inThesisGrid,
  PARTS,
  projectWall,
  summarizeGrid,
  THESIS_STRATEGIES,
} from "../../bench/grid.ts";
import { work } from "../../bench/grid_work.ts";

const PIPELINE = new URL("../../pipeline.yaml", import.meta.url).pathname;

type Tree = Record<string, unknown>;

/** The paper profile's instances and its resolved params tree. */
async function paper(): Promise<{ instances: readonly Instance[]; params: Tree }> {
  const analyzed = await analyzePipeline(PIPELINE, { profile: "paper" });
  assert.ok(analyzed.ok);
  return {
    instances: analyzed.graph.instances,
    params: analyzed.graph.params as unknown as Tree,
  };
}

/** The sizes of the paper grid, from its params. */
function gridSizes(params: Tree) {
  const at = (path: string) => path.split(".").reduce((t, k) => (t as Tree)[k], params as unknown);
  const len = (path: string) => (at(path) as unknown[]).length;
  const runs = len("datasets") * (at("repeats") as number);
  return {
    targets: len("data.datasets"),
    seeding: runs * len("seeding.methods"),
    select: runs * len("select.strategies"),
    seedsize: runs * len("seedsize.sizes") * len("seedsize.budget"),
    transfer: runs * len("select.strategies") * len("transfer.budgets"),
    ceiling: len("datasets"),
    poolBug: len("pool_bug.pools"),
    seedSizes: at("seedsize.sizes") as number[],
    seedsizeBudget: (at("seedsize.budget") as number[])[0]!,
    active: at("active") as Tree,
    transfer_: at("transfer") as Tree,
    runs,
  };
}

const COSTS: Costs = {
  infer: 1e-4,
  train1: 2e-3,
  train32: 1e-3,
  train64: 1e-3,
  deepfool: 2e-2,
  deepfoolSteps: 2,
  grad: 3e-4,
  select: {},
};

Deno.test("the paper profile's loop stages: rounds per select and seedsize run", async () => {
  const { instances, params } = await paper();
  const g = gridSizes(params);
  const select = instances.filter((i) => i.stage === "select");
  const seedsize = instances.filter((i) => i.stage === "seedsize");
  assert.equal(select.length, g.select);
  const a = g.active as { seed_size: number; batch: number; budget: number };
  const rounds = (a.budget - a.seed_size) / a.batch;
  const entropy = instanceWork(select.find((i) => i.vars.strategy === "entropy")!)!;
  assert.deepEqual(entropy.selections, { entropy: rounds });
  assert.equal(entropy.train32, a.budget); // incremental: the seed, then each batch, one epoch
  assert.equal(entropy.deepfool, 0);
  // Round r scores the 60k pool less what was queried before it, plus oracle 1k and tests 11k.
  let infer = a.seed_size + 10000 + 1000;
  for (let r = 1; r <= rounds; r++) {
    infer += 60000 - (a.seed_size + (r - 1) * a.batch) + a.batch + 11000;
  }
  assert.equal(entropy.infer, infer);
  // k-center scores the queried images too (its first centres).
  const kCenter = instanceWork(select.find((i) => i.vars.strategy === "k-center")!)!;
  assert.equal(
    kCenter.infer - entropy.infer,
    rounds * a.seed_size + (rounds * (rounds - 1) / 2) * a.batch,
  );
  const seedRounds = seedsize.map((i) => Object.values(instanceWork(i)!.selections)[0]);
  const expected = g.seedSizes.map((s) => Math.ceil((g.seedsizeBudget - s) / a.batch));
  assert.deepEqual([...new Set(seedRounds)].sort(), [...new Set(expected)].sort());
  const target = instanceWork(instances.find((i) => i.stage === "target")!)!;
  assert.equal(target.train64, 10 * 60000);
  assert.equal(instanceWork(instances.find((i) => i.stage === "report")!), null);
});

Deno.test("DFAL runs DeepFool on dfal_subsample open images a round", async () => {
  const { instances, params } = await paper();
  const a = gridSizes(params).active as {
    dfal_subsample: number;
    seed_size: number;
    budget: number;
    batch: number;
  };
  const rounds = (a.budget - a.seed_size) / a.batch;
  for (const strategy of ["dfal", "dfal+k-center"]) {
    const inst = instances.find((i) => i.stage === "select" && i.vars.strategy === strategy)!;
    assert.equal(instanceWork(inst)!.deepfool, rounds * a.dfal_subsample);
  }
  // Without a subsample, every open image of every round.
  const dfal = instances.find((i) => i.stage === "select" && i.vars.strategy === "dfal")!;
  const all = { ...dfal, params: { ...dfal.params, active: { ...a, dfal_subsample: null } } };
  let open = 0;
  for (let r = 1; r <= rounds; r++) open += 60000 - (a.seed_size + (r - 1) * a.batch);
  assert.equal(instanceWork(all as Instance)!.deepfool, open);
  // A scoring subsample bounds both the scored images and DeepFool's.
  const sub = { ...dfal, params: { ...dfal.params, active: { ...a, subsample: 2000 } } };
  const w = instanceWork(sub as Instance)!;
  assert.equal(w.deepfool, rounds * Math.min(2000, a.dfal_subsample));
  assert.equal(w.infer, a.seed_size + 11000 + rounds * (2000 + a.batch + 11000));
});

Deno.test("transfer and ceiling: gradients per image per eps, FGSM 1 and PGD pgd_steps, once per model", async () => {
  const { instances, params } = await paper();
  const t = gridSizes(params).transfer_ as {
    test_size: number;
    eps: number[];
    attacks: string[];
    pgd_steps: number;
  };
  const transfer = instances.filter((i) => i.stage === "transfer");
  assert.equal(transfer.length, gridSizes(params).transfer);
  const w = instanceWork(transfer[0]!)!;
  const perEps = t.attacks.reduce((s, a) => s + (a === "fgsm" ? 1 : t.pgd_steps), 0);
  // Crafting on the substitute only: the target's side is the ceiling stage's, once per dataset.
  assert.equal(w.grad, t.test_size * t.eps.length * perEps);
  // Clean passes on both models, then per attack a label pass and 2 count passes.
  assert.equal(w.infer, t.test_size * (2 + t.eps.length * 3 * t.attacks.length));
  assert.equal(w.train32 + w.deepfool, 0);
  const ceiling = instances.filter((i) => i.stage === "ceiling");
  assert.equal(ceiling.length, gridSizes(params).ceiling);
  const c = instanceWork(ceiling[0]!)!;
  assert.equal(c.grad, t.test_size * t.eps.length * perEps);
  // The target's clean pass, per eps the floor, per attack a label pass and the ceiling's count.
  assert.equal(c.infer, t.test_size * (1 + t.eps.length * (1 + 2 * t.attacks.length)));
});

Deno.test("pool_bug: a whole-pool fit at batch 1 and the test set on both models", async () => {
  const { instances } = await paper();
  const bug = instances.filter((i) => i.stage === "pool_bug");
  assert.ok(bug.length > 0);
  for (const inst of bug) {
    assert.deepEqual(instanceWork(inst), work({ infer: 60000 + 2 * 10000, train1: 60000 }));
  }
});

Deno.test("projectWall: targets first, then the rest over the jobs, never below the longest", () => {
  assert.equal(projectWall([10, 10], [6, 6, 6, 6], 2), 10 + 12);
  assert.equal(projectWall([10], [30, 2, 2], 2), 10 + 30);
  assert.equal(projectWall([], [], 2), 0);
  const costs: Costs = { ...COSTS, select: { entropy: 0.1 } };
  const w = work({
    infer: 1000,
    train32: 100,
    train1: 10,
    deepfool: 5,
    grad: 100,
    selections: { entropy: 2 },
  });
  assert.ok(Math.abs(instanceSeconds(w, costs) - (0.1 + 0.1 + 0.02 + 0.1 + 0.03 + 0.2)) < 1e-12);
});

Deno.test("summarizeGrid counts the paper profile's instances, rounds and parts", async () => {
  const { instances, params } = await paper();
  const g = gridSizes(params);
  const load = { start: 0, end: 0, cores: 2 };
  const r = summarizeGrid(instances, COSTS, 2, "paper", load);
  assert.deepEqual(r.instances.by_stage, {
    target: g.targets,
    seeding: g.seeding,
    select: g.select,
    seedsize: g.seedsize,
    transfer: g.transfer,
    ceiling: g.ceiling,
    pool_bug: g.poolBug,
  });
  assert.equal(
    r.instances.counted,
    g.targets + g.seeding + g.select + g.seedsize + g.transfer + g.ceiling + g.poolBug,
  );
  const a = g.active as { seed_size: number; batch: number; budget: number };
  const seedRounds = g.seedSizes.reduce(
    (s, size) => s + Math.ceil((g.seedsizeBudget - size) / a.batch),
    0,
  );
  assert.equal(
    r.instances.rounds,
    g.select * (a.budget - a.seed_size) / a.batch + g.runs * seedRounds,
  );
  const sum = PARTS.reduce((s, p) => s + r.parts[p], 0);
  assert.ok(Math.abs(sum - r.core_hours) < 1e-9);
  const strategies = (params.select as { strategies: string[] }).strategies;
  const dfalRuns = g.runs * strategies.filter((s) => s.startsWith("dfal")).length;
  const dfal = g.active as { dfal_subsample: number };
  const expected = dfalRuns * (a.budget - a.seed_size) / a.batch * dfal.dfal_subsample * 2e-2;
  assert.ok(Math.abs(r.parts.dfal_deepfool - expected / 3600) < 1e-9);
  assert.ok(r.wall_hours > r.core_hours / 2 - 1e-9);
  assert.ok(Math.abs(r.round.total - (60000 + 1000 + 11000) * 1e-4 - 1) < 1e-9);
});

Deno.test("summarizeGrid prices the thesis's grid: targets, seeding, seed size, its 9 strategies", async () => {
  const { instances, params } = await paper();
  const g = gridSizes(params);
  const load = { start: 0, end: 0, cores: 2 };
  const r = summarizeGrid(instances, COSTS, 2, "paper", load);
  const strategies = (params.select as { strategies: string[] }).strategies;
  const theirs = strategies.filter((s) => THESIS_STRATEGIES.includes(s));
  assert.deepEqual(strategies.filter((s) => !theirs.includes(s)), [
    "k-center",
    "dfal",
    "dfal+k-center",
  ]);
  assert.equal(r.thesis.instances, g.targets + g.seeding + g.runs * theirs.length + g.seedsize);
  // The same sum over the instances the subset keeps, priced one by one.
  const kept = instances.filter(inThesisGrid);
  const seconds = kept.reduce((s, i) => s + instanceSeconds(instanceWork(i)!, COSTS), 0);
  assert.ok(Math.abs(r.thesis.core_hours - seconds / 3600) < 1e-9);
  assert.ok(r.thesis.core_hours < r.core_hours);
  assert.ok(r.thesis.wall_hours < r.wall_hours);
  assert.ok(!kept.some((i) => i.stage === "transfer" || i.stage === "pool_bug"));
});
