import assert from "node:assert/strict";
import {
  accuracy,
  agreement,
  argmaxRows,
  confusionMatrix,
  perClassAccuracy,
} from "../../lib/ml/metrics.ts";

Deno.test("argmaxRows: row maxima, ties to the lowest index, shape errors", () => {
  const p = new Float32Array([0.2, 0.5, 0.3, 0.4, 0.4, 0.2]);
  assert.deepEqual([...argmaxRows(p, 3)], [1, 0]);
  assert.throws(() => argmaxRows(p, 4), TypeError);
});

Deno.test("accuracy, agreement, per-class accuracy and confusion", () => {
  const labels = [0, 0, 1, 1, 2];
  const pred = [0, 1, 1, 1, 0];
  assert.equal(accuracy(pred, labels), 0.6);
  assert.equal(agreement(pred, pred), 1);
  assert.deepEqual(perClassAccuracy(pred, labels, 4), [0.5, 1, 0, null]);
  assert.deepEqual(confusionMatrix(pred, labels, 3), [[1, 1, 0], [0, 2, 0], [1, 0, 0]]);
  assert.throws(() => accuracy([1], [1, 2]), TypeError);
  assert.equal(accuracy([], []), 0);
});
