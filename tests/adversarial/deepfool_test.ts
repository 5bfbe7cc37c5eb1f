import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../lib/ml/mod.ts";
import { deepfool } from "../../lib/adversarial/deepfool.ts";
import { logitsAndJacobian, predictLabels } from "../../lib/adversarial/model.ts";
import { linearLogits, linearModel } from "./_linear.ts";

await initBackend();

Deno.test("logitsAndJacobian() of a linear model is its weight rows", () => {
  const w = [[1, 2], [3, -4], [0, 0.5]];
  const model = linearModel(w, [0, 1, 2]);
  const { logits, jacobian } = logitsAndJacobian(model, Float32Array.of(0.5, 0.5, 0.1, 0.9));
  assert.deepEqual([...logits].map((v) => Math.round(v * 1e5) / 1e5), [
    1.5,
    0.5,
    2.25,
    1.9,
    -2.3,
    2.45,
  ]);
  // Class-major: class k, image j.
  const row = (
    k: number,
    j: number,
  ) => [...jacobian.subarray((k * 2 + j) * 2, (k * 2 + j + 1) * 2)];
  for (let k = 0; k < 3; k++) for (let j = 0; j < 2; j++) assert.deepEqual(row(k, j), w[k]);
  model.dispose();
});

Deno.test("deepfool() on a linear model lands on the nearest boundary in one step, within the overshoot", () => {
  // Three classes; at x, class 0 wins; the boundary with class 2 is nearer than with class 1.
  const w = [[1, 0, 0], [0, 1, 0], [0, 0, 2]];
  const b = [0, -0.5, 0];
  const model = linearModel(w, b);
  const before = tf.memory().numTensors;
  const x = Float32Array.of(0.6, 0.3, 0.2);
  const result = deepfool(model, x, { overshoot: 0.02 });
  assert.equal(tf.memory().numTensors, before);
  assert.equal(result.steps[0], 1);
  assert.equal(result.fooled[0], 1);
  // Distance to the 0|2 boundary: |f2 - f0| / ‖w2 - w0‖ = 0.2 / sqrt(5); to 0|1: 0.8 / sqrt(2).
  const dist = 0.2 / Math.sqrt(5);
  assert.ok(Math.abs(result.norms[0]! - 1.02 * (dist + 1e-4)) < 1e-5, `norm ${result.norms[0]}`);
  // Undo the overshoot: the point is on the boundary (up to DeepFool's 1e-4).
  const onBoundary = [...x].map((v, i) => v + (result.adversarial[i]! - v) / 1.02);
  const l = linearLogits(w, b, onBoundary);
  assert.ok(Math.abs(l[2]! - l[0]!) < 1e-3, `f2 - f0 = ${l[2]! - l[0]!}`);
  assert.deepEqual([...predictLabels(model, result.adversarial)], [2]);
  model.dispose();
});

Deno.test("deepfool() ranks images by their distance to the boundary and respects the step cap", () => {
  const model = linearModel([[1, 0], [0, 1]], [0, 0]);
  // Distance to x0 = x1 is |x0 - x1| / sqrt 2.
  const x = Float32Array.of(0.9, 0.1, 0.55, 0.45, 0.2, 0.7);
  const { norms, fooled } = deepfool(model, x);
  assert.ok(norms[1]! < norms[2]! && norms[2]! < norms[0]!, `norms ${[...norms]}`);
  assert.deepEqual([...fooled], [1, 1, 1]);
  const capped = deepfool(model, x, { maxSteps: 0 });
  assert.deepEqual([...capped.steps], [0, 0, 0]);
  assert.deepEqual([...capped.fooled], [0, 0, 0]);
  assert.deepEqual([...capped.norms], [0, 0, 0]);
  // A model whose classes all have the same gradient gives no direction: norm Infinity.
  const flat = linearModel([[1, 1], [1, 1]], [1, 0]);
  assert.equal(deepfool(flat, Float32Array.of(0.5, 0.5)).norms[0], Infinity);
  model.dispose();
  flat.dispose();
});
