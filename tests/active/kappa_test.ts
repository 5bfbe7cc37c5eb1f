import assert from "node:assert/strict";
import { cohensKappa } from "../../lib/active/kappa.ts";

Deno.test("cohensKappa() matches a hand computation", () => {
  // p_o = 4/6, p_e = (2·2 + 2·3 + 2·1) / 36 = 1/3, kappa = (2/3 - 1/3) / (2/3) = 0.5
  const k = cohensKappa([0, 0, 1, 1, 2, 2], [0, 1, 1, 1, 2, 0]);
  assert.ok(Math.abs(k - 0.5) < 1e-12, `got ${k}`);
});

Deno.test("cohensKappa() is 1 for identical labelings, 0 at chance, negative below", () => {
  assert.equal(cohensKappa([0, 1, 2], [0, 1, 2]), 1);
  assert.equal(cohensKappa([0, 0, 1, 1], [0, 1, 0, 1]), 0);
  assert.ok(cohensKappa([0, 1], [1, 0]) < 0);
});

Deno.test("cohensKappa() is 1 when both give one single class, 1 for empty, throws on length mismatch", () => {
  assert.equal(cohensKappa([3, 3, 3], [3, 3, 3]), 1);
  assert.equal(cohensKappa([], []), 1);
  assert.equal(cohensKappa([0, 0], [1, 1]), 0);
  assert.throws(() => cohensKappa([0], [0, 1]), TypeError);
});
