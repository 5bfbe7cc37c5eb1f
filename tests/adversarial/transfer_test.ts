import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../lib/ml/mod.ts";
import {
  measureReference,
  measureTransfer,
  type TransferConfig,
} from "../../lib/adversarial/transfer.ts";
import { parseReference, referenceJson } from "../../lib/adversarial/reference_file.ts";
import { predictLabels } from "../../lib/adversarial/model.ts";
import { createRng } from "../../lib/util/random.ts";
import { linearModel } from "./_linear.ts";

await initBackend();

const W = [[1, -1, 0.5, 0.2], [-1, 1, 0.2, 0.5], [0.2, 0.3, -1, 1]];
const CONFIG: TransferConfig = {
  eps: [0.02, 0.3],
  attacks: ["fgsm", "pgd"],
  pgdSteps: 5,
  pgdStepRatio: 0.25,
  seed: 1,
};

function images(n: number) {
  const rng = createRng(5);
  return Float32Array.from({ length: 4 * n }, () => rng.next());
}

Deno.test("measureTransfer() counts over the images each model got right", () => {
  const target = linearModel(W, [0, 0, 0]);
  const x = images(40);
  const predicted = predictLabels(target, x);
  // True labels: the target's predictions, except every fourth image, which it gets wrong.
  const labels = Int32Array.from(predicted, (p, i) => (i % 4 === 0 ? (p + 1) % 3 : p));
  const before = tf.memory().numTensors;
  const result = measureTransfer(target, target, x, labels, CONFIG);
  assert.equal(tf.memory().numTensors, before);
  assert.equal(result.images, 40);
  assert.equal(result.target_correct, 30);
  assert.equal(result.substitute_correct, 30);
  assert.equal(result.agreement, 1);
  assert.deepEqual(result.rows.map((r) => [r.attack, r.eps]), [
    ["fgsm", 0.02],
    ["pgd", 0.02],
    ["fgsm", 0.3],
    ["pgd", 0.3],
  ]);
  for (const row of result.rows) {
    for (const r of [row.transfer, row.white_box, row.ceiling, row.floor]) {
      assert.equal(r.of, 30);
      assert.ok(r.fooled >= 0 && r.fooled <= 30);
      assert.equal(r.rate, r.fooled / 30);
    }
    // The substitute is the target: transfer is the ceiling, and the white box too.
    assert.deepEqual(row.transfer, row.ceiling);
    assert.deepEqual(row.white_box, row.ceiling);
  }
  // A large eps fools more than a small one, and more than noise does.
  const big = result.rows.find((r) => r.attack === "pgd" && r.eps === 0.3)!;
  const small = result.rows.find((r) => r.attack === "pgd" && r.eps === 0.02)!;
  assert.ok(big.ceiling.fooled > small.ceiling.fooled);
  assert.ok(big.ceiling.fooled > big.floor.fooled);
  assert.deepEqual(measureTransfer(target, target, x, labels, CONFIG), result);
  target.dispose();
});

Deno.test("measureTransfer() separates a poor substitute's transfer from the ceiling", () => {
  const target = linearModel(W, [0, 0, 0]);
  // A substitute that learnt nothing: constant logits, zero input gradient, always class 0.
  const substitute = linearModel([[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]], [0, 0, 0]);
  const x = images(60);
  const labels = predictLabels(target, x);
  const result = measureTransfer(substitute, target, x, labels, { ...CONFIG, eps: [0.3] });
  assert.equal(result.target_correct, 60);
  assert.ok(result.agreement < 1);
  assert.ok(result.substitute_correct < 60);
  assert.equal(result.substitute_correct, labels.filter((l) => l === 0).length);
  for (const row of result.rows) {
    assert.ok(row.transfer.fooled < row.ceiling.fooled, `${row.attack}: ${row.transfer.fooled}`);
    assert.equal(row.white_box.of, result.substitute_correct);
    // Its constant prediction never changes.
    assert.equal(row.white_box.fooled, 0);
  }
  // FGSM on a zero gradient does not move the images at all.
  assert.equal(result.rows[0]!.transfer.fooled, 0);
  target.dispose();
  substitute.dispose();
});

Deno.test("a reference measured once gives each substitute's run the same rows as measuring it there", () => {
  const target = linearModel(W, [0, 0, 0]);
  const substitute = linearModel([[1, -0.8, 0.4, 0.1], [-0.9, 1, 0.3, 0.4], [0.1, 0.2, -1, 0.9]], [
    0,
    0.1,
    0,
  ]);
  const x = images(50);
  const labels = predictLabels(target, x);
  const reference = measureReference(target, x, labels, CONFIG);
  assert.deepEqual(
    measureTransfer(substitute, target, x, labels, CONFIG, reference),
    measureTransfer(substitute, target, x, labels, CONFIG),
  );
  const text = JSON.stringify(referenceJson(reference, CONFIG, "toy", (v) => v));
  const at = { dataset: "toy", config: CONFIG, testSize: 50 };
  assert.deepEqual(parseReference(text, "ref.json", at), reference);
  const refused = (t: string, field: RegExp, other: Partial<typeof at> = {}) =>
    assert.throws(() => parseReference(t, "ref.json", { ...at, ...other }), field);
  refused(text, /"ref\.json": field "params"/, { config: { ...CONFIG, seed: 2 } });
  refused(text, /field "dataset"/, { dataset: "mnist" });
  refused(text.replace('"fooled":', '"fooled":-'), /field "rows\[0\]\.ceiling\.fooled"/);
  refused(text.replace('"attack":"fgsm"', '"attack":"cw"'), /field "rows\[0\]\.attack"/);
  refused("null", /field "\(file\)": expected an object/);
  const rows = JSON.parse(text).rows;
  refused(JSON.stringify({ ...JSON.parse(text), rows: [...rows, rows[0]] }), /field "rows"/);
  refused(JSON.stringify({ ...JSON.parse(text), rows: rows.slice(1) }), /field "rows"/);
  assert.throws(
    () =>
      measureTransfer(
        substitute,
        target,
        x.subarray(0, 40),
        labels.subarray(0, 10),
        CONFIG,
        reference,
      ),
    /Invalid transfer reference: measured on 50 images/,
  );
  target.dispose();
  substitute.dispose();
});
