/** The grid projection of `bench/grid.ts`: work per instance and the wall time at --jobs. */

import assert from "node:assert/strict";
import { analyzePipeline } from "../../lib/pipeline/mod.ts";
import {
  type Costs,
  instanceSeconds,
  instanceWork,
  projectWall,
  summarizeGrid,
} from "../../bench/grid.ts";

const PIPELINE = new URL("../../pipeline.yaml", import.meta.url).pathname;

Deno.test("the paper profile's loop stages: 19 rounds per select run, 5-9 per seedsize run", async () => {
  const analyzed = await analyzePipeline(PIPELINE, { profile: "paper" });
  assert.ok(analyzed.ok);
  const instances = analyzed.graph.instances;
  const select = instances.filter((i) => i.stage === "select");
  const seedsize = instances.filter((i) => i.stage === "seedsize");
  assert.equal(select.length, 2 * 9 * 5);
  const work = instanceWork(select.find((i) => i.vars.strategy === "entropy")!)!;
  assert.deepEqual(work.selections, { entropy: 19 });
  assert.equal(work.train32, 20000); // incremental: seed 1k, then 1k per round, one epoch
  // Round r scores the 60k pool less what was queried before it, plus oracle 1k and tests 11k.
  let infer = 1000 + 10000 + 1000;
  for (let r = 1; r <= 19; r++) infer += 60000 - (1000 + (r - 1) * 1000) + 1000 + 11000;
  assert.equal(work.infer, infer);
  const rounds = seedsize.map((i) => Object.values(instanceWork(i)!.selections)[0]);
  assert.deepEqual([...new Set(rounds)].sort(), [5, 6, 7, 8, 9]);
  const target = instanceWork(instances.find((i) => i.stage === "target")!)!;
  assert.equal(target.train64, 10 * 60000);
  assert.equal(instanceWork(instances.find((i) => i.stage === "report")!), null);
});

Deno.test("projectWall: targets first, then the rest over the jobs, never below the longest", () => {
  assert.equal(projectWall([10, 10], [6, 6, 6, 6], 2), 10 + 12);
  assert.equal(projectWall([10], [30, 2, 2], 2), 10 + 30);
  assert.equal(projectWall([], [], 2), 0);
  const costs: Costs = { infer: 1e-4, train32: 1e-3, train64: 1e-3, select: { entropy: 0.1 } };
  const work = { infer: 1000, train32: 100, train64: 0, selections: { entropy: 2 } };
  assert.ok(Math.abs(instanceSeconds(work, costs) - (0.1 + 0.1 + 0.2)) < 1e-12);
});

Deno.test("summarizeGrid counts the paper profile's instances and rounds", async () => {
  const analyzed = await analyzePipeline(PIPELINE, { profile: "paper" });
  assert.ok(analyzed.ok);
  const costs: Costs = { infer: 1e-4, train32: 1e-3, train64: 1e-3, select: {} };
  const load = { start: 0, end: 0, cores: 2 };
  const r = summarizeGrid(analyzed.graph.instances, costs, 2, "paper", load);
  assert.equal(r.instances.counted, 2 + 40 + 90 + 50);
  assert.equal(r.instances.rounds, 90 * 19 + 2 * 5 * (9 + 8 + 7 + 6 + 5));
  assert.ok(r.wall_hours > r.core_hours / 2 - 1e-9);
  assert.ok(Math.abs(r.round.total - (60000 + 1000 + 11000) * 1e-4 - 1) < 1e-9);
});
