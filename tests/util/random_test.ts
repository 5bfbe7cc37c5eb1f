import assert from "node:assert/strict";
import { createRng, deriveSeed } from "../../lib/util/random.ts";

Deno.test("createRng: same seed, same stream; different seeds differ", () => {
  const a = createRng(7), b = createRng(7), c = createRng(8);
  const sa = Array.from({ length: 20 }, () => a.nextUint32());
  const sb = Array.from({ length: 20 }, () => b.nextUint32());
  const sc = Array.from({ length: 20 }, () => c.nextUint32());
  assert.deepEqual(sa, sb);
  assert.notDeepEqual(sa, sc);
});

Deno.test("createRng: next in [0,1), int in range and roughly uniform", () => {
  const rng = createRng(1);
  const counts = new Array(10).fill(0);
  for (let i = 0; i < 10000; i++) {
    const x = rng.next();
    assert.ok(x >= 0 && x < 1);
    counts[rng.int(10)]++;
  }
  for (const c of counts) assert.ok(c > 850 && c < 1150, `count ${c}`);
  assert.throws(() => rng.int(0), RangeError);
  assert.throws(() => createRng(1.5), RangeError);
});

Deno.test("createRng: permutation is a permutation and seed-dependent", () => {
  const p = createRng(3).permutation(100);
  assert.deepEqual([...p].sort((x, y) => x - y), Array.from({ length: 100 }, (_, i) => i));
  assert.deepEqual(p, createRng(3).permutation(100));
  assert.notDeepEqual(p, createRng(4).permutation(100));
});

Deno.test("createRng: normal has mean ~0 and variance ~1", () => {
  const rng = createRng(11);
  let s = 0, s2 = 0;
  const n = 20000;
  for (let i = 0; i < n; i++) {
    const z = rng.normal();
    s += z;
    s2 += z * z;
  }
  assert.ok(Math.abs(s / n) < 0.03);
  assert.ok(Math.abs(s2 / n - 1) < 0.05);
});

Deno.test("deriveSeed: labels separate streams, deterministic", () => {
  assert.equal(deriveSeed(5, "a", 1), deriveSeed(5, "a", 1));
  assert.notEqual(deriveSeed(5, "a", 1), deriveSeed(5, "a", 2));
  assert.notEqual(deriveSeed(5, "ab"), deriveSeed(5, "a", "b"));
  assert.notEqual(deriveSeed(5), deriveSeed(6));
});
