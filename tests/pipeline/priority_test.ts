import assert from "node:assert/strict";
import { join } from "node:path";
import { cleanup, copyFixture } from "./_helpers.ts";
import { analyzePipeline, openWorkspace, reproduce } from "../../lib/pipeline/mod.ts";
import { PriorityGate, workerRanks } from "../../lib/pipeline/priority.ts";

Deno.test("workerRanks puts deeper instances first, then graph order", () => {
  const ranks = workerRanks([
    { name: "a", upstream: [] },
    { name: "b", upstream: [] },
    { name: "a2", upstream: ["a"] },
    { name: "a3", upstream: ["a2", "b"] },
  ]);
  assert.deepEqual([...ranks.entries()].sort((x, y) => x[1] - y[1]).map(([n]) => n), [
    "a3",
    "a2",
    "a",
    "b",
  ]);
});

Deno.test("workerRanks: at equal depth, the instance more others read goes first", () => {
  // select@k and ceiling both read target; every transfer@k reads select@k and ceiling.
  const nodes = [
    { name: "target", upstream: [] },
    { name: "select@0", upstream: ["target"] },
    { name: "select@1", upstream: ["target"] },
    { name: "ceiling", upstream: ["target"] },
    { name: "transfer@0", upstream: ["select@0", "ceiling"] },
    { name: "transfer@1", upstream: ["select@1", "ceiling"] },
  ];
  const ranks = workerRanks(nodes);
  assert.deepEqual([...ranks.entries()].sort((x, y) => x[1] - y[1]).map(([n]) => n), [
    "transfer@0",
    "transfer@1",
    "ceiling",
    "select@0",
    "select@1",
    "target",
  ]);
});

Deno.test("PriorityGate grants by rank and holds a worker for a better-ranked ready instance", async () => {
  const gate = new PriorityGate(1);
  const order: string[] = [];
  const take = (name: string, rank: number) =>
    gate.acquire(name, rank).then(() => order.push(name));
  await take("first", 5);
  const late = take("late", 9);
  const early = take("early", 3);
  gate.markReady("coming", 1);
  gate.release();
  await Promise.resolve();
  assert.deepEqual(order, ["first"], "the worker waits for the ready instance that outranks all");
  const coming = take("coming", 1);
  await coming;
  assert.deepEqual(order, ["first", "coming"]);
  gate.markReady("never", 0);
  gate.release();
  await Promise.resolve();
  assert.deepEqual(order, ["first", "coming"]);
  gate.unready("never");
  await early;
  assert.deepEqual(order, ["first", "coming", "early"]);
  gate.release();
  await late;
  assert.deepEqual(order, ["first", "coming", "early", "late"]);
  assert.equal(gate.wanting, 0);
});

Deno.test("with one worker, each downstream instance runs right after its upstream", async () => {
  const dir = copyFixture("depth_first");
  try {
    const analysis = await analyzePipeline(join(dir, "pipeline.yaml"));
    assert.ok(analysis.ok);
    const result = await reproduce(analysis.graph, openWorkspace(analysis.graph), { jobs: 1 });
    assert.equal(result.failed.length, 0);
    const started = [...result.timings].sort((a, b) => a[1].start - b[1].start).map(([n]) => n);
    assert.deepEqual(started, [
      "select@0",
      "transfer@0",
      "select@1",
      "transfer@1",
      "select@2",
      "transfer@2",
    ]);
  } finally {
    cleanup(dir);
  }
});
