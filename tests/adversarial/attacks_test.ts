import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../lib/ml/mod.ts";
import { fgsm, pgd, project, signNoise } from "../../lib/adversarial/attacks.ts";
import { predictLabels } from "../../lib/adversarial/model.ts";
import { createRng } from "../../lib/util/random.ts";
import { linearLogits, linearModel } from "./_linear.ts";

await initBackend();

const W = [[1, -2, 0.5, 3], [-1, 1, 0.5, -2], [0.3, 0.2, -1, 1]];
const B = [0.1, 0, -0.2];

Deno.test("fgsm() on a linear model steps eps · sign(w_other - w_true) when one other class holds the mass", () => {
  // Two classes: the cross-entropy gradient of class 0 is p1 · (w1 - w0).
  const w = [[2, -1, 0.5, 0], [-1, 1, 0.5, 1]];
  const model = linearModel(w, [0, 0]);
  const before = tf.memory().numTensors;
  const x = Float32Array.of(0.5, 0.4, 0.6, 0.5);
  assert.deepEqual([...predictLabels(model, x)], [0]);
  const adv = fgsm(model, x, { eps: 0.1 });
  const expected = [0.4, 0.5, 0.6, 0.6]; // sign(w1 - w0) = [-1, +1, 0, +1]
  adv.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-6, `pixel ${i}: ${v}`));
  assert.equal(tf.memory().numTensors, before);
  model.dispose();
});

Deno.test("fgsm() raises the loss of the given labels and clips to [0, 1]", () => {
  const model = linearModel(W, B);
  const x = Float32Array.of(0.95, 0.02, 0.5, 0.5, 0.1, 0.9, 0.3, 0.7);
  const labels = predictLabels(model, x);
  const adv = fgsm(model, x, { eps: 0.2 });
  assert.ok(adv.every((v) => v >= 0 && v <= 1));
  for (let j = 0; j < 2; j++) {
    const lossOf = (img: ArrayLike<number>) => {
      const l = linearLogits(W, B, img);
      const m = Math.max(...l);
      return Math.log(l.reduce((s, v) => s + Math.exp(v - m), 0)) + m - l[labels[j]!]!;
    };
    assert.ok(lossOf(adv.subarray(4 * j, 4 * j + 4)) > lossOf(x.subarray(4 * j, 4 * j + 4)));
  }
  model.dispose();
});

Deno.test("pgd() never leaves the eps-ball or [0, 1], and is seeded", () => {
  const model = linearModel(W, B);
  const rng = createRng(3);
  const x = Float32Array.from(
    { length: 4 * 50 },
    () => (rng.next() < 0.3 ? rng.int(2) : rng.next()),
  );
  const before = tf.memory().numTensors;
  for (const eps of [0.05, 0.3]) {
    const adv = pgd(model, x, { eps, seed: 1 });
    for (let i = 0; i < x.length; i++) {
      assert.ok(adv[i]! >= 0 && adv[i]! <= 1, `pixel ${i} = ${adv[i]}`);
      assert.ok(Math.abs(adv[i]! - x[i]!) <= eps + 1e-6, `pixel ${i} moved ${adv[i]! - x[i]!}`);
    }
    assert.deepEqual(pgd(model, x, { eps, seed: 1 }), adv);
    assert.notDeepEqual(
      pgd(model, x, { eps, seed: 2, steps: 0 }),
      pgd(model, x, { eps, seed: 1, steps: 0 }),
    );
  }
  assert.equal(tf.memory().numTensors, before);
  // PGD fools at least as many images as FGSM here (the loss is linear in x up to the softmax).
  const clean = predictLabels(model, x);
  const fooled = (adv: Float32Array) =>
    predictLabels(model, adv).filter((l, i) => l !== clean[i]).length;
  assert.ok(fooled(pgd(model, x, { eps: 0.3, seed: 1 })) >= fooled(fgsm(model, x, { eps: 0.3 })));
  model.dispose();
});

Deno.test("project() and signNoise() keep to the ball and the pixel range", () => {
  const x = Float32Array.of(0, 0.5, 1, 0.02);
  const noise = signNoise(x, 0.1, 4);
  noise.forEach((v, i) => {
    assert.ok(v >= 0 && v <= 1);
    assert.ok(Math.abs(Math.abs(v - x[i]!) - 0.1) < 1e-6 || v === 0 || v === 1);
  });
  assert.deepEqual(signNoise(x, 0.1, 4), noise);
  assert.deepEqual([...project(Float32Array.of(2, -1), Float32Array.of(0.5, 0.5), 0.25)], [
    0.75,
    0.25,
  ]);
  assert.throws(() => signNoise(x, -1, 0), RangeError);
});

Deno.test("the attacks run on a conv classifier's logits and free every tensor", async () => {
  const { createClassifier } = await import("../../lib/ml/mod.ts");
  const { deepfool } = await import("../../lib/adversarial/deepfool.ts");
  const spec = {
    input: [28, 28, 1] as const,
    conv: [{ filters: 2, kernel: 5, pool: 2 }],
    dense: [8],
    classes: 10,
  };
  const net = createClassifier(spec, { seed: 2 });
  const model = { input: spec.input, classes: 10, logits: net.logits };
  const rng = createRng(9);
  const x = Float32Array.from({ length: 3 * 784 }, () => rng.next());
  const before = tf.memory().numTensors;
  const f = fgsm(model, x, { eps: 0.1 });
  const p = pgd(model, x, { eps: 0.1, seed: 0, steps: 2 });
  const d = deepfool(model, x, { maxSteps: 3 });
  assert.equal(tf.memory().numTensors, before);
  assert.notDeepEqual(f, x);
  assert.ok(p.every((v, i) => Math.abs(v - x[i]!) <= 0.1 + 1e-6));
  assert.ok(d.norms.every((v) => v > 0));
  net.dispose();
});
