import assert from "node:assert/strict";
import { chooseSeed, type LoopConfig, runActiveLearning } from "../../lib/active/loop.ts";
import { STRATEGY_NAMES } from "../../lib/active/strategies.ts";
import { SEEDING_NAMES } from "../../lib/active/seeding.ts";
import { IMAGE_SIZE, LOOP_CONFIG, makeData, makeOracle, PrototypeLearner } from "./_fake.ts";

const BASE: LoopConfig = { ...LOOP_CONFIG, stoppingSetSize: 12 };

Deno.test("runActiveLearning() incremental: seed round then batches until the budget", async () => {
  const learner = new PrototypeLearner();
  const o = makeOracle(22);
  const result = await runActiveLearning(learner, o, makeData(), BASE);
  assert.deepEqual(result.trace.map((r) => r.round), [0, 1, 2, 3, 4]);
  assert.deepEqual(result.trace.map((r) => r.queries), [6, 10, 14, 18, 22]);
  assert.equal(o.spent, 22);
  assert.equal(result.queried.length, 22);
  assert.equal(new Set(result.queried).size, 22);
  // Incremental: one fit per round, on the new images only, `epochs` passes, no validation.
  assert.deepEqual(learner.fits.map((f) => f.n), [6, 4, 4, 4, 4]);
  assert.ok(
    learner.fits.every((f) => f.options.epochs === 1 && f.options.validation === undefined),
  );
  assert.equal(learner.reinits.length, 1);
  assert.equal(result.trace[0]!.kappa, null);
  assert.ok(result.trace.slice(1).every((r) => typeof r.kappa === "number"));
  assert.ok(result.trace.every((r) => r.batch_entropy !== null && r.batch_entropy >= 0));
  // The untrained substitute is uniform: the seed set's entropy is ln 3.
  assert.ok(Math.abs(result.trace[0]!.batch_entropy! - Math.log(3)) < 1e-6);
  const last = result.trace.at(-1)!;
  assert.ok(last.test_accuracy >= 0.8, `accuracy ${last.test_accuracy}`);
  assert.ok(last.agreement >= 0.8, `agreement ${last.agreement}`);
});

Deno.test("runActiveLearning() shrinks the last batch to the budget left", async () => {
  const result = await runActiveLearning(new PrototypeLearner(), makeOracle(20), makeData(), {
    ...BASE,
    budget: 20,
  });
  assert.deepEqual(result.trace.map((r) => r.queries), [6, 10, 14, 18, 20]);
});

Deno.test("runActiveLearning() stops at the round limit and when the pool runs out", async () => {
  const limited = await runActiveLearning(new PrototypeLearner(), makeOracle(22), makeData(), {
    ...BASE,
    rounds: 2,
  });
  assert.deepEqual(limited.trace.map((r) => r.queries), [6, 10, 14]);
  const all = await runActiveLearning(new PrototypeLearner(), makeOracle(1000), makeData(), {
    ...BASE,
    budget: 1000,
    batchSize: 25,
  });
  assert.deepEqual(all.trace.map((r) => r.queries), [6, 31, 56, 60]);
});

Deno.test("runActiveLearning() scratch: re-initialises and trains on everything, with validation", async () => {
  const learner = new PrototypeLearner();
  const o = makeOracle(25);
  const result = await runActiveLearning(learner, o, makeData(), {
    ...BASE,
    recipe: "scratch",
    validationSize: 3,
    budget: 25,
    train: { epochs: 7, batchSize: 4, patience: 2 },
  });
  // The validation split counts against the budget from round 0 on.
  assert.deepEqual(result.trace.map((r) => r.queries), [9, 13, 17, 21, 25]);
  assert.equal(result.validationIndices.length, 3);
  assert.ok(result.validationIndices.every((i) => !result.seedIndices.includes(i)));
  assert.deepEqual(learner.fits.map((f) => f.n), [6, 10, 14, 18, 22]);
  assert.ok(learner.fits.every((f) => f.options.validation?.x.length === 3 * IMAGE_SIZE));
  assert.ok(learner.fits.every((f) => f.options.patience === 2 && f.options.epochs === 7));
  // Once before seeding, then once before every training call, always the same initial weights.
  assert.equal(learner.reinits.length, 6);
  assert.equal(new Set(learner.reinits).size, 1);
});

Deno.test("runActiveLearning() hard labels train on one-hot rows of the answers", async () => {
  const learner = new PrototypeLearner();
  await runActiveLearning(learner, makeOracle(22), makeData(), { ...BASE, labels: "hard" });
  assert.ok(learner.fits.every((f) => f.y.every((v) => v === 0 || v === 1)));
  const soft = new PrototypeLearner();
  await runActiveLearning(soft, makeOracle(22), makeData(), BASE);
  assert.ok(soft.fits.some((f) => f.y.some((v) => v > 0 && v < 1)));
});

Deno.test("runActiveLearning() is deterministic for a seed", async () => {
  const a = await runActiveLearning(new PrototypeLearner(), makeOracle(22), makeData(), BASE);
  const b = await runActiveLearning(new PrototypeLearner(), makeOracle(22), makeData(), BASE);
  assert.deepEqual(a, b);
  const c = await runActiveLearning(new PrototypeLearner(), makeOracle(22), makeData(), {
    ...BASE,
    seed: 6,
  });
  assert.notDeepEqual(a.queried, c.queried);
});

Deno.test("runActiveLearning() runs every strategy and seeding method", async () => {
  for (const strategy of STRATEGY_NAMES) {
    for (const seeding of SEEDING_NAMES) {
      const result = await runActiveLearning(new PrototypeLearner(), makeOracle(14), makeData(), {
        ...BASE,
        strategy,
        seeding,
        seedClusters: 3,
        clusters: 3,
        budget: 14,
      });
      assert.deepEqual(result.trace.map((r) => r.queries), [6, 10, 14], `${strategy} ${seeding}`);
      assert.equal(new Set(result.queried).size, 14, `${strategy} ${seeding}`);
    }
  }
});

Deno.test("runActiveLearning() scores only a subsample of the pool when asked", async () => {
  const learner = new PrototypeLearner();
  await runActiveLearning(learner, makeOracle(22), makeData(), { ...BASE, scoringSubsample: 10 });
  // Per round: test set (30), stopping set (12) and the scored subsample (10).
  assert.ok(!learner.predictSizes.some((n) => n > 30));
  assert.equal(learner.predictSizes.filter((n) => n === 10).length, 4);
});

Deno.test("runActiveLearning() rejects a budget below the seed and an oracle with less budget", async () => {
  await assert.rejects(
    () =>
      runActiveLearning(new PrototypeLearner(), makeOracle(22), makeData(), { ...BASE, budget: 5 }),
    (e: unknown) => e instanceof RangeError && /budget/.test(e.message),
  );
  await assert.rejects(
    () => runActiveLearning(new PrototypeLearner(), makeOracle(10), makeData(), BASE),
    RangeError,
  );
  await assert.rejects(
    () =>
      runActiveLearning(new PrototypeLearner(), makeOracle(22), makeData(), {
        ...BASE,
        batchSize: 0,
      }),
    (e: unknown) => e instanceof RangeError && /batchSize/.test(e.message),
  );
});

Deno.test("chooseSeed() is what the loop seeds with, and prefix-stable", async () => {
  for (const seeding of SEEDING_NAMES) {
    const config = { ...BASE, seeding, seedClusters: 3 };
    const big = await chooseSeed(new PrototypeLearner(), makeData(), config, 12);
    const small = await chooseSeed(new PrototypeLearner(), makeData(), config, 6);
    assert.deepEqual(big.slice(0, 6), small, seeding);
    const result = await runActiveLearning(
      new PrototypeLearner(),
      makeOracle(22),
      makeData(),
      config,
    );
    assert.deepEqual(result.seedIndices, small, seeding);
  }
});

Deno.test("runActiveLearning() takes an explicit seed set and checks it", async () => {
  const result = await runActiveLearning(new PrototypeLearner(), makeOracle(22), makeData(), {
    ...BASE,
    seedIndices: [5, 4, 3, 2, 1, 0],
  });
  assert.deepEqual(result.seedIndices, [5, 4, 3, 2, 1, 0]);
  assert.deepEqual(result.queried.slice(0, 6), [5, 4, 3, 2, 1, 0]);
  await assert.rejects(
    () =>
      runActiveLearning(new PrototypeLearner(), makeOracle(22), makeData(), {
        ...BASE,
        seedIndices: [0, 0, 1, 2, 3, 4],
      }),
    RangeError,
  );
});

Deno.test("runActiveLearning() keeps the weights of the last round at or below each checkpoint budget", async () => {
  // Rounds at 6, 10, 14, 18, 22 queries; checkpoints at 5 (before the seed: none), 10, 12, 22, 99 (above the budget: none).
  const learner = new PrototypeLearner();
  const snapshots: Uint8Array[] = [];
  const result = await runActiveLearning(learner, makeOracle(22), makeData(), {
    ...BASE,
    checkpoints: [22, 12, 5, 10, 99],
  }, { onRound: () => snapshots.push(learner.saveWeights()) });
  assert.deepEqual(
    result.checkpoints.map((c) => [c.budget, c.round, c.queries]),
    [[10, 1, 10], [12, 1, 10], [22, 4, 22]],
  );
  assert.deepEqual(result.checkpoints[0]!.weights, snapshots[1]);
  assert.deepEqual(result.checkpoints[1]!.weights, snapshots[1]);
  assert.deepEqual(result.checkpoints[2]!.weights, snapshots[4]);
  assert.notDeepEqual(snapshots[1], snapshots[4]);
  // Checkpoints do not change the run.
  const plain = await runActiveLearning(new PrototypeLearner(), makeOracle(22), makeData(), BASE);
  assert.deepEqual(plain.trace, result.trace);
  assert.deepEqual(plain.checkpoints, []);
});

Deno.test("runActiveLearning() asks for saveWeights() only when checkpoints are wanted", async () => {
  const learner = new PrototypeLearner();
  const bare = {
    classes: learner.classes,
    fit: learner.fit.bind(learner),
    predictProba: learner.predictProba.bind(learner),
    reinitialize: learner.reinitialize.bind(learner),
  };
  await assert.rejects(
    () => runActiveLearning(bare, makeOracle(22), makeData(), { ...BASE, checkpoints: [10] }),
    (e: unknown) => e instanceof TypeError && /saveWeights/.test(e.message),
  );
  const result = await runActiveLearning(bare, makeOracle(22), makeData(), BASE);
  assert.equal(result.trace.length, 5);
});
