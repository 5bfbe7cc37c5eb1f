/** The arithmetic floor of `bench/grid_floor.ts`, and its projection in `bench/grid.ts`. */

import assert from "node:assert/strict";
import { analyzePipeline } from "../../lib/pipeline/mod.ts";
import { LENET } from "../../lib/ml/spec.ts";
import { type Costs, summarizeGrid } from "../../bench/grid.ts";
import {
  clockFromCpuinfo,
  floorCosts,
  forwardMacs,
  MACS_PER_CYCLE,
  measureClockHz,
} from "../../bench/grid_floor.ts";

const PIPELINE = new URL("../../pipeline.yaml", import.meta.url).pathname;

Deno.test("forwardMacs counts LeNet's multiply-adds layer by layer", () => {
  // conv 1: 24x24 outputs x 20 filters x 5x5 taps; conv 2: 8x8 x 50 x 5x5 x 20 channels;
  // dense: 4x4x50 = 800 inputs x 500, then 500 x 10.
  const conv1 = 24 * 24 * 20 * 25;
  const conv2 = 8 * 8 * 50 * 25 * 20;
  assert.deepEqual(forwardMacs(LENET), {
    total: conv1 + conv2 + 800 * 500 + 500 * 10,
    first: conv1,
  });
  // No pooling, no conv: a plain dense net.
  const dense = { input: [2, 3, 1] as const, conv: [], dense: [4], classes: 2 };
  assert.deepEqual(forwardMacs(dense), { total: 6 * 4 + 4 * 2, first: 24 });
});

Deno.test("floorCosts: forward, training, input gradient and DeepFool in forward passes", () => {
  const { total, first } = forwardMacs(LENET);
  const rate = 1e9;
  const c = floorCosts(LENET, rate, 3, ["entropy", "random"]);
  assert.equal(c.infer, total / rate);
  assert.equal(c.train32, (3 * total - first) / rate);
  assert.equal(c.train1, c.train64);
  assert.equal(c.grad, 2 * c.infer);
  assert.equal(c.deepfool, 3 * 11 * c.infer); // 3 steps, each a forward and 10 backward passes
  assert.deepEqual(c.select, { entropy: 0, random: 0 });
  // Twice the rate, half the time.
  assert.equal(floorCosts(LENET, 2 * rate, 3, []).infer, c.infer / 2);
});

Deno.test("measureClockHz: a plausible clock for a core of today (0.5 to 7 GHz)", () => {
  const hz = measureClockHz();
  assert.ok(hz > 0.5e9 && hz < 7e9, `${hz / 1e9} GHz`);
});

Deno.test("clockFromCpuinfo reads the first cpu MHz line, null without one", () => {
  const text = "processor\t: 0\ncpu MHz\t\t: 2445.402\ncache size\t: 512 KB\ncpu MHz\t\t: 1.0\n";
  assert.equal(clockFromCpuinfo(text), 2445.402e6);
  assert.equal(clockFromCpuinfo("processor\t: 0\nmodel name\t: arm\n"), null);
});

Deno.test("summarizeGrid at the floor: measured costs at the floor give ratio 1 and the same hours", async () => {
  const analyzed = await analyzePipeline(PIPELINE, { profile: "paper" });
  assert.ok(analyzed.ok);
  const instances = analyzed.graph.instances;
  const load = { start: 0, end: 0, cores: 2 };
  const hz = 2.5e9;
  const floor = floorCosts(LENET, hz * MACS_PER_CYCLE, 4, []);
  const atFloor: Costs = { ...floor, select: {} };
  const same = summarizeGrid(instances, atFloor, 2, "paper", load, { hz, nominal: null });
  assert.ok(same.floor !== null);
  assert.deepEqual(same.floor.ratio, { infer: 1, train32: 1, deepfool: 1, grad: 1 });
  assert.ok(Math.abs(same.floor.core_hours - same.core_hours) < 1e-9);
  assert.ok(Math.abs(same.floor.thesis_wall_hours - same.thesis.wall_hours) < 1e-9);
  // Twice the floor everywhere plus selection time: ratio 2, hours more than double the floor's.
  const twice: Costs = {
    ...atFloor,
    infer: 2 * floor.infer,
    train1: 2 * floor.train1,
    train32: 2 * floor.train32,
    train64: 2 * floor.train64,
    deepfool: 2 * floor.deepfool,
    grad: 2 * floor.grad,
    select: { entropy: 0.5 },
  };
  const r = summarizeGrid(instances, twice, 2, "paper", load, { hz, nominal: 2e9 });
  assert.deepEqual(r.floor!.ratio, { infer: 2, train32: 2, deepfool: 2, grad: 2 });
  assert.equal(r.floor!.core_hours, same.core_hours);
  assert.equal(r.floor!.nominal_ghz, 2);
  assert.ok(r.core_hours > 2 * r.floor!.core_hours);
  assert.ok(r.thesis.wall_hours > 2 * r.floor!.thesis_wall_hours - 1e-9);
  assert.ok(r.floor!.wall_hours >= r.floor!.core_hours / 2 - 1e-9);
  assert.equal(summarizeGrid(instances, twice, 2, "paper", load).floor, null);
});
