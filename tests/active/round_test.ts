import assert from "node:assert/strict";
import type { LoopConfig } from "../../lib/active/loop.ts";
import {
  allAnswers,
  checkpointStep,
  createRunState,
  evaluateStep,
  gatherImages,
  queryStep,
  type RunState,
  scoredIndices,
  scoreStep,
  selectStep,
  spentOf,
  trainStep,
} from "../../lib/active/round.ts";
import { CLASSES, LOOP_CONFIG, makeData, makeOracle, PrototypeLearner } from "./_fake.ts";

const BASE = LOOP_CONFIG;

function state(config: Partial<LoopConfig> = {}, learner = new PrototypeLearner()): RunState {
  return createRunState(learner, makeOracle(100), makeData(), { ...BASE, ...config });
}

Deno.test("gatherImages() copies the rows asked for, in order", () => {
  const images = Uint8Array.of(1, 2, 3, 4, 5, 6);
  assert.deepEqual(gatherImages(images, [2, 0], 2), Uint8Array.of(5, 6, 1, 2));
});

Deno.test("queryStep() spends one query per image and records the answers", async () => {
  const s = state();
  const answers = await queryStep(s, [3, 1]);
  assert.equal(spentOf(s), 2);
  assert.deepEqual(s.queried, [3, 1]);
  assert.ok(s.queriedSet.has(3) && s.queriedSet.has(1));
  assert.equal(answers.rows, 2);
  await queryStep(s, [7]);
  assert.equal(allAnswers(s).rows, 3);
  assert.deepEqual(allAnswers(s).data.subarray(0, 6), answers.data);
});

Deno.test("scoredIndices() leaves out queried images, subsamples, and adds them back for k-center", async () => {
  const s = state();
  await queryStep(s, [0, 5]);
  const open = scoredIndices(s, 1);
  assert.equal(open.length, 58);
  assert.ok(!open.includes(0) && !open.includes(5));
  const sub = scoredIndices(state({ scoringSubsample: 10 }), 1);
  assert.equal(sub.length, 10);
  assert.deepEqual(sub, [...sub].sort((a, b) => a - b));
  assert.notDeepEqual(sub, scoredIndices(state({ scoringSubsample: 10 }), 2));
  const k = state({ strategy: "k-center" });
  await queryStep(k, [0, 5]);
  assert.equal(scoredIndices(k, 1).length, 60);
});

Deno.test("scoreStep() predicts the scored rows, except for the random strategy", async () => {
  const learner = new PrototypeLearner();
  const scored = await scoreStep(state({}, learner), 1);
  assert.equal(scored.probs?.rows, 60);
  assert.deepEqual(learner.predictSizes, [60]);
  const random = new PrototypeLearner();
  const r = await scoreStep(state({ strategy: "random" }, random), 1);
  assert.equal(r.probs, null);
  assert.deepEqual(random.predictSizes, []);
});

Deno.test("selectStep() picks k open images and reports their mean entropy", async () => {
  const s = state();
  await queryStep(s, [0, 1, 2]);
  await trainStep(s, [0, 1, 2], allAnswers(s).data);
  const scored = await scoreStep(s, 1);
  const { picked, batchEntropy } = await selectStep(s, scored, 4, 1);
  assert.equal(picked.length, 4);
  assert.ok(picked.every((p) => !s.queriedSet.has(p)));
  assert.ok(batchEntropy !== null && batchEntropy > 0 && batchEntropy <= Math.log(3));
  const random = state({ strategy: "random" });
  const r = await selectStep(random, await scoreStep(random, 1), 4, 1);
  // Untrained: every prediction is uniform.
  assert.ok(Math.abs(r.batchEntropy! - Math.log(3)) < 1e-6);
});

Deno.test("trainStep() incremental fits the new images; scratch re-initialises and fits them all", async () => {
  const inc = new PrototypeLearner();
  const s = state({}, inc);
  const y = new Float32Array(2 * CLASSES).fill(1 / 3);
  await trainStep(s, [4, 9], y);
  assert.deepEqual(inc.fits.map((f) => f.n), [2]);
  assert.deepEqual(inc.reinits, []);
  const scratchLearner = new PrototypeLearner();
  const scratch = state({ recipe: "scratch" }, scratchLearner);
  scratch.trainIndices.push(1, 2, 3);
  scratch.trainTargets.push(new Float32Array(3 * CLASSES).fill(1 / 3));
  await trainStep(scratch, [3], new Float32Array(CLASSES));
  assert.deepEqual(scratchLearner.fits.map((f) => f.n), [3]);
  assert.deepEqual(scratchLearner.reinits, [scratch.initSeed]);
});

Deno.test("evaluateStep() measures accuracy and agreement on the test set, kappa from round 1", async () => {
  const s = state();
  s.stoppingIndices = [0, 1, 2, 3];
  const untrained = await evaluateStep(s, 0, null);
  // Uniform predictions pick class 0: a third of the test set is class 0.
  assert.equal(untrained.test_accuracy, 10 / 30);
  assert.equal(untrained.kappa, null);
  assert.ok(Math.abs(untrained.stopping_entropy - Math.log(3)) < 1e-6);
  const all = Array.from({ length: 60 }, (_, i) => i);
  await queryStep(s, all);
  await trainStep(s, all, allAnswers(s).data);
  const trained = await evaluateStep(s, 1, 0.5);
  assert.equal(trained.queries, 60);
  assert.ok(trained.test_accuracy > 0.8 && trained.agreement > 0.8);
  assert.equal(typeof trained.kappa, "number");
  assert.equal(trained.batch_entropy, 0.5);
});

Deno.test("checkpointStep() keeps each budget whose last round at or below it is the last evaluated", async () => {
  const s = state({ checkpoints: [5, 6, 8, 9, 30] });
  assert.deepEqual(s.pendingCheckpoints, [5, 6, 8, 9]);
  assert.deepEqual(checkpointStep(s, 10), [], "nothing evaluated yet");
  await queryStep(s, [0, 1, 2, 3, 4, 5]);
  await evaluateStep(s, 0, null);
  await queryStep(s, [6, 7, 8]);
  // The next round will stand at 9 queries: budgets 6 and 8 belong to round 0, 5 to none.
  const made = checkpointStep(s, spentOf(s));
  assert.deepEqual(made.map((c) => [c.budget, c.round, c.queries]), [[6, 0, 6], [8, 0, 6]]);
  assert.deepEqual(s.pendingCheckpoints, [5, 9]);
  await evaluateStep(s, 1, null);
  assert.deepEqual(checkpointStep(s, Infinity).map((c) => [c.budget, c.round]), [[9, 1]]);
  assert.equal(s.checkpoints.length, 3);
});

Deno.test("scoreStep() measures DeepFool norms for DFAL, on the open images or a seeded subsample", async () => {
  const s = state({ strategy: "dfal" });
  await queryStep(s, [0, 1]);
  await trainStep(s, [0, 1], allAnswers(s).data);
  const scored = await scoreStep(s, 1);
  assert.equal(scored.perturbations?.length, 58);
  assert.ok(scored.perturbations!.every((v) => Number.isFinite(v) && v >= 0));
  const k = state({ strategy: "dfal+k-center", dfalSubsample: 10 });
  await queryStep(k, [0, 1]);
  const sub = await scoreStep(k, 1);
  // Queried rows are scored (k-center's centres) but never measured; 10 open rows are.
  assert.equal(sub.indices.length, 60);
  assert.equal(sub.perturbations!.filter(Number.isFinite).length, 10);
  assert.equal(sub.perturbations![0], Infinity);
  const bare = state(
    { strategy: "dfal" },
    Object.assign(new PrototypeLearner(), {
      perturbationNorms: undefined,
    }),
  );
  await assert.rejects(() => scoreStep(bare, 1), /perturbationNorms/);
});
