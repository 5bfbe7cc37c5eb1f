import assert from "node:assert/strict";
import { BudgetExceededError, Oracle, type Target } from "../../lib/active/oracle.ts";

/** A 2-class target on 1-byte images: P(class 1) = byte / 255. */
function byteTarget(): Target & { calls: number } {
  const t = {
    calls: 0,
    predictProba(images: Uint8Array, n: number): Float32Array {
      t.calls++;
      const out = new Float32Array(n * 2);
      for (let i = 0; i < n; i++) {
        out[2 * i + 1] = images[i]! / 255;
        out[2 * i] = 1 - out[2 * i + 1]!;
      }
      return out;
    },
  };
  return t;
}

Deno.test("Oracle answers probability vectors and counts every image", async () => {
  const oracle = new Oracle(byteTarget(), {
    budget: 10,
    answer: "probabilities",
    classes: 2,
    imageSize: 1,
  });
  const a = await oracle.query(Uint8Array.of(0, 255, 51));
  assert.equal(a.rows, 3);
  assert.ok(Math.abs(a.data[5]! - 0.2) < 1e-6);
  assert.equal(oracle.spent, 3);
  assert.equal(oracle.remaining, 7);
});

Deno.test("Oracle answers top-1 labels as one-hot rows", async () => {
  const oracle = new Oracle(byteTarget(), {
    budget: 10,
    answer: "label",
    classes: 2,
    imageSize: 1,
  });
  const a = await oracle.query(Uint8Array.of(0, 255, 200));
  assert.deepEqual(Array.from(a.data), [1, 0, 0, 1, 0, 1]);
});

Deno.test("Oracle refuses a query past the budget without asking the target", async () => {
  const target = byteTarget();
  const oracle = new Oracle(target, { budget: 4, answer: "label", classes: 2, imageSize: 1 });
  await oracle.query(new Uint8Array(3)); // e.g. the validation split: it counts too
  await assert.rejects(
    () => oracle.query(new Uint8Array(2)),
    (e: unknown) =>
      e instanceof BudgetExceededError && e instanceof RangeError && e.asked === 2 &&
      e.remaining === 1 && /budget of 4/.test(e.message),
  );
  assert.equal(target.calls, 1);
  assert.equal(oracle.spent, 3);
  await oracle.query(new Uint8Array(1));
  assert.equal(oracle.remaining, 0);
});

Deno.test("Oracle checks shapes and options", async () => {
  assert.throws(
    () => new Oracle(byteTarget(), { budget: -1, answer: "label", classes: 2, imageSize: 1 }),
    RangeError,
  );
  const oracle = new Oracle(byteTarget(), { budget: 9, answer: "label", classes: 2, imageSize: 4 });
  await assert.rejects(() => oracle.query(new Uint8Array(6)), TypeError);
  const bad = new Oracle({ predictProba: () => new Float32Array(3) }, {
    budget: 9,
    answer: "label",
    classes: 2,
    imageSize: 1,
  });
  await assert.rejects(() => bad.query(new Uint8Array(2)), TypeError);
});
