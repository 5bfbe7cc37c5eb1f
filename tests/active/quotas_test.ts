import assert from "node:assert/strict";
import { equalQuotas } from "../../lib/active/quotas.ts";

Deno.test("equalQuotas() splits evenly and gives the remainder to the lowest classes", () => {
  assert.deepEqual(equalQuotas([5, 5, 5], 4), [2, 1, 1]);
  assert.deepEqual(equalQuotas([5, 5, 5], 6), [2, 2, 2]);
  assert.deepEqual(equalQuotas([4, 2, 2], 2), [1, 1, 0]);
});

Deno.test("equalQuotas() shares a short class's shortfall among the others", () => {
  assert.deepEqual(equalQuotas([4, 2, 2], 7), [3, 2, 2]);
  assert.deepEqual(equalQuotas([4, 1, 2], 6), [3, 1, 2]);
  assert.deepEqual(equalQuotas([10, 0, 1], 6), [5, 0, 1]);
});

Deno.test("equalQuotas() never exceeds what is available", () => {
  assert.deepEqual(equalQuotas([1, 2, 0], 10), [1, 2, 0]);
  assert.deepEqual(equalQuotas([0, 0], 3), [0, 0]);
  assert.deepEqual(equalQuotas([3, 3], 0), [0, 0]);
  assert.throws(() => equalQuotas([1], -1), RangeError);
});
