import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../lib/ml/backend.ts";
import { createClassifier } from "../../lib/ml/classifier.ts";
import { accuracy, argmaxRows } from "../../lib/ml/metrics.ts";
import { LENET, type ModelSpec } from "../../lib/ml/spec.ts";
import { decodeWeights } from "../../lib/ml/weights.ts";
import { createRng } from "../../lib/util/random.ts";

const TINY: ModelSpec = {
  input: [8, 8, 1],
  conv: [{ filters: 4, kernel: 3, pool: 2 }],
  dense: [16],
  classes: 3,
};

/** Three classes of 8x8 images: a bright top row band, middle band, or bottom band, plus noise. */
function toyData(n: number, seed: number): { x: Uint8Array; y: Uint8Array } {
  const rng = createRng(seed);
  const x = new Uint8Array(n * 64);
  const y = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = rng.int(3);
    y[i] = c;
    for (let p = 0; p < 64; p++) {
      const row = Math.floor(p / 8);
      const on = Math.floor(row / 3) === c;
      x[i * 64 + p] = on ? 150 + rng.int(100) : rng.int(60);
    }
  }
  return { x, y };
}

await initBackend();

Deno.test("classifier: learns a separable toy problem (hard labels)", async () => {
  const { x, y } = toyData(300, 1);
  const test = toyData(100, 2);
  const model = createClassifier(TINY, { seed: 3, optimizer: { learningRate: 0.01 } });
  try {
    const history = await model.fit(x, y, { epochs: 8, batchSize: 32 });
    assert.equal(history.epochs.length, 8);
    assert.ok(history.epochs[7]!.loss < history.epochs[0]!.loss);
    const probs = model.predictProba(test.x);
    assert.equal(probs.length, 300);
    for (let i = 0; i < 100; i++) {
      const s = probs[3 * i]! + probs[3 * i + 1]! + probs[3 * i + 2]!;
      assert.ok(Math.abs(s - 1) < 1e-5);
    }
    assert.ok(accuracy(argmaxRows(probs, 3), test.y) > 0.95);
  } finally {
    model.dispose();
  }
});

Deno.test("classifier: trains on probability vectors", async () => {
  const { x, y } = toyData(200, 4);
  const soft = new Float32Array(200 * 3);
  for (let i = 0; i < 200; i++) {
    for (let c = 0; c < 3; c++) soft[i * 3 + c] = c === y[i] ? 0.8 : 0.1;
  }
  const model = createClassifier(TINY, { seed: 5, optimizer: { learningRate: 0.01 } });
  try {
    await model.fit(x, soft, { epochs: 6, batchSize: 32 });
    assert.ok(accuracy(argmaxRows(model.predictProba(x), 3), y) > 0.95);
  } finally {
    model.dispose();
  }
});

Deno.test("classifier: the same seed trains byte-identical weights; another seed differs", async () => {
  const { x, y } = toyData(96, 6);
  const train = async (seed: number) => {
    const model = createClassifier(TINY, { seed });
    try {
      await model.fit(x, y, { epochs: 2, batchSize: 16, validationSplit: 0.25 });
      return model.saveWeights();
    } finally {
      model.dispose();
    }
  };
  const a = await train(7);
  const b = await train(7);
  const c = await train(8);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

Deno.test("classifier: LeNet on a small subset is deterministic too", async () => {
  const rng = createRng(9);
  const x = Uint8Array.from({ length: 48 * 784 }, () => rng.int(256));
  const y = Uint8Array.from({ length: 48 }, () => rng.int(10));
  const train = async () => {
    const model = createClassifier(LENET, { seed: 1 });
    try {
      await model.fit(x, y, { epochs: 1, batchSize: 16 });
      return model.saveWeights();
    } finally {
      model.dispose();
    }
  };
  assert.deepEqual(await train(), await train());
});

Deno.test("classifier: reinitialize restores the initial weights; save/load round trip", async () => {
  const { x, y } = toyData(64, 10);
  const model = createClassifier(TINY, { seed: 11 });
  const other = createClassifier(TINY, { seed: 12 });
  try {
    const initial = model.saveWeights();
    await model.fit(x, y, { epochs: 1, batchSize: 16 });
    const trained = model.saveWeights();
    assert.notDeepEqual(trained, initial);
    other.loadWeights(trained);
    assert.deepEqual(other.predictProba(x), model.predictProba(x));
    assert.deepEqual(decodeWeights(trained).spec, TINY);
    model.reinitialize();
    assert.deepEqual(model.saveWeights(), initial);
    model.reinitialize(12);
    assert.equal(model.seed, 12);
    assert.notDeepEqual(model.saveWeights(), initial);
    const lenet = createClassifier(LENET, { seed: 1 });
    try {
      assert.throws(
        () => lenet.loadWeights(trained),
        /"weights file": written for model .*"classes":3/,
      );
    } finally {
      lenet.dispose();
    }
  } finally {
    model.dispose();
    other.dispose();
  }
});

Deno.test("classifier: early stopping on validation restores the best epoch", async () => {
  const { x, y } = toyData(120, 13);
  // Validation labels are noise, so validation loss stops improving quickly.
  const val = toyData(60, 14);
  const noisy = Uint8Array.from(val.y, (v, i) => (v + i) % 3);
  const model = createClassifier(TINY, { seed: 15, optimizer: { learningRate: 0.02 } });
  try {
    const logs: number[] = [];
    const history = await model.fit(x, y, {
      epochs: 30,
      batchSize: 16,
      validation: { x: val.x, y: noisy },
      patience: 2,
      onEpoch: (log) => logs.push(log.val_loss!),
    });
    assert.equal(logs.length, history.epochs.length);
    const best = logs.indexOf(Math.min(...logs));
    assert.equal(history.bestEpoch, best);
    assert.ok(history.stoppedEarly);
    assert.equal(history.epochs.length, best + 3);
    assert.ok(history.restoredBest);
    // The restored weights give the best validation loss again.
    const probs = model.predictProba(val.x);
    let loss = 0;
    for (let i = 0; i < 60; i++) loss -= Math.log(probs[i * 3 + noisy[i]!]!);
    assert.ok(Math.abs(loss / 60 - logs[best]!) < 1e-4, `${loss / 60} vs ${logs[best]}`);
  } finally {
    model.dispose();
  }
});

Deno.test("classifier: tensor count stays flat over a 20-epoch training; dispose frees all", async () => {
  const before = tf.memory().numTensors;
  const { x, y } = toyData(40, 16);
  const model = createClassifier(TINY, { seed: 17 });
  const counts: number[] = [];
  await model.fit(x, y, {
    epochs: 20,
    batchSize: 8,
    validationSplit: 0.2,
    onEpoch: () => counts.push(tf.memory().numTensors),
  });
  model.predictProba(x);
  counts.push(tf.memory().numTensors);
  assert.equal(counts.length, 21);
  assert.deepEqual(new Set(counts).size, 1, `tensor counts ${counts}`);
  model.dispose();
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("classifier: lrDecay shrinks later epochs' steps; the rate resets for the next fit", async () => {
  const { x, y } = toyData(64, 18);
  const maxDiff = (a: Float32Array, b: Float32Array) =>
    a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
  const flat = (m: ReturnType<typeof createClassifier>) =>
    Float32Array.from(m.getWeights().flatMap((w) => [...w.data]));
  const run = async (epochs: number, lrDecay: number) => {
    const model = createClassifier(TINY, { seed: 19 });
    try {
      await model.fit(x, y, { epochs, batchSize: 16, lrDecay });
      return flat(model);
    } finally {
      model.dispose();
    }
  };
  const one = await run(1, 1e-9);
  assert.ok(maxDiff(one, await run(2, 1e-9)) < 1e-6);
  assert.ok(maxDiff(one, await run(2, 1)) > 1e-3);
  // A second fit starts again at the full rate.
  const model = createClassifier(TINY, { seed: 19 });
  try {
    await model.fit(x, y, { epochs: 1, batchSize: 16, lrDecay: 1e-9 });
    const before = flat(model);
    await model.fit(x, y, { epochs: 1, batchSize: 16, lrDecay: 1e-9 });
    assert.ok(maxDiff(before, flat(model)) > 1e-3);
    await assert.rejects(() => model.fit(x, y, { epochs: 1, lrDecay: 0 }), /decay/);
  } finally {
    model.dispose();
  }
});

Deno.test("classifier: bad inputs are refused with clear errors", async () => {
  const model = createClassifier(TINY, { seed: 1 });
  try {
    await assert.rejects(
      () => model.fit(new Uint8Array(65), new Uint8Array(1), { epochs: 1 }),
      TypeError,
    );
    await assert.rejects(
      () => model.fit(new Uint8Array(64), new Uint8Array([3]), { epochs: 1 }),
      /label at 0 must be in 0\.\.2, got 3/,
    );
    await assert.rejects(
      () => model.fit(new Uint8Array(64), new Float32Array(2), { epochs: 1 }),
      /probability vectors need 1 x 3 = 3 values, got 2/,
    );
    await assert.rejects(
      () => model.fit(new Uint8Array(64), new Uint8Array(1), { epochs: 1, batchSize: 0 }),
      RangeError,
    );
    assert.throws(() => createClassifier(TINY, { seed: 0.5 }), RangeError);
  } finally {
    model.dispose();
  }
});
