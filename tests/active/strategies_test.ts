import assert from "node:assert/strict";
import { oneHot, probsFromRows } from "../../lib/active/probs.ts";
import {
  isStrategyName,
  needsAnswers,
  select,
  STRATEGY_NAMES,
  type StrategyName,
} from "../../lib/active/strategies.ts";
import type { SelectionInput } from "../../lib/active/selection.ts";
import { POOL } from "./_pool.ts";

// Entropy order of the pool (ties → lower index): 2, 4, 3, 1, 6, 7, 0, 5.
const none = new Set<number>();
/** Queried images 0 and 3, whose oracle answers are the one-hot labels 0 and 1. */
const queried03: SelectionInput = {
  probs: POOL,
  queried: new Set([0, 3]),
  answers: oneHot([0, 1], 3),
};

Deno.test("select() uncertainty strategies pick the hand-computed images", () => {
  assert.deepEqual(select("entropy", { probs: POOL, queried: none }, { k: 3, seed: 1 }), [2, 4, 3]);
  assert.deepEqual(select("entropy", { probs: POOL, queried: new Set([2]) }, { k: 3, seed: 1 }), [
    4,
    3,
    1,
  ]);
  // Least confidence 1 - max p: the row of zeros (5) is the least confident of all.
  assert.deepEqual(select("least-confidence", { probs: POOL, queried: none }, { k: 3, seed: 1 }), [
    5,
    1,
    2,
  ]);
  // Margin ascending: 1 and 5 tie at 0 (lower index first), then 2 and 4 tie at 0.25.
  assert.deepEqual(select("margin", { probs: POOL, queried: none }, { k: 4, seed: 1 }), [
    1,
    5,
    2,
    4,
  ]);
});

Deno.test("select() breaks entropy ties by the lower pool index, also with explicit indices", () => {
  // Rows 2 and 4 tie; rows 0 and 5 tie at entropy 0.
  assert.deepEqual(select("entropy", { probs: POOL, queried: none }, { k: 8, seed: 1 }), [
    2,
    4,
    3,
    1,
    6,
    7,
    0,
    5,
  ]);
  // The same rows under pool indices in reverse order: the tie now goes to row 4 (index 30).
  const indices = [70, 60, 50, 40, 30, 20, 10, 0];
  assert.deepEqual(select("entropy", { probs: POOL, indices, queried: none }, { k: 2, seed: 1 }), [
    30,
    50,
  ]);
});

Deno.test("select() with k larger than the pool returns every unqueried image", () => {
  for (const name of STRATEGY_NAMES) {
    const picked = select(name, queried03, { k: 20, seed: 3 });
    assert.deepEqual(picked.slice().sort(), [1, 2, 4, 5, 6, 7], name);
  }
});

Deno.test("select() returns k distinct never-queried indices, deterministic for a seed", () => {
  for (const name of STRATEGY_NAMES) {
    for (const k of [0, 1, 3, 5]) {
      const a = select(name, queried03, { k, seed: 11 });
      const b = select(name, queried03, { k, seed: 11 });
      assert.deepEqual(a, b, name);
      assert.equal(a.length, k, name);
      assert.equal(new Set(a).size, k, name);
      assert.ok(a.every((i) => i !== 0 && i !== 3), name);
    }
  }
});

Deno.test("select() handles a pool of all-zero rows", () => {
  const zeros = probsFromRows([[0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0]]);
  const input = { probs: zeros, queried: new Set([0]), answers: oneHot([1], 3) };
  for (const name of STRATEGY_NAMES) {
    const picked = select(name, input, { k: 2, seed: 5 });
    assert.equal(picked.length, 2, name);
    assert.ok(!picked.includes(0), name);
    if (name !== "random" && name !== "uniform" && name !== "uniform:thesis-code") {
      // Everything ties, so deterministic strategies take the lowest indices.
      assert.deepEqual(picked, [1, 2], name);
    }
  }
});

Deno.test("select('random') samples uniformly without queried images", () => {
  const counts = new Map<number, number>();
  for (let seed = 0; seed < 200; seed++) {
    for (const i of select("random", queried03, { k: 2, seed })) {
      counts.set(i, (counts.get(i) ?? 0) + 1);
    }
  }
  assert.deepEqual([...counts.keys()].sort(), [1, 2, 4, 5, 6, 7]);
  assert.notDeepEqual(
    select("random", queried03, { k: 3, seed: 1 }),
    select("random", queried03, { k: 3, seed: 2 }),
  );
});

Deno.test("select('uniform') takes an equal quota per predicted class, at random within a class", () => {
  // Predicted classes: c0 = {0, 1, 2, 5}, c1 = {3, 6}, c2 = {4, 7}.
  const cls = [0, 0, 0, 1, 2, 0, 1, 2];
  const seen = new Set<string>();
  for (let seed = 0; seed < 20; seed++) {
    const picked = select("uniform", { probs: POOL, queried: none }, { k: 6, seed });
    const perClass = [0, 0, 0];
    for (const i of picked) perClass[cls[i]!]!++;
    assert.deepEqual(perClass, [2, 2, 2]);
    seen.add(picked.filter((i) => cls[i] === 0).sort().join());
  }
  assert.ok(seen.size > 1, "class 0's picks should vary with the seed");
});

Deno.test("select('uniform:thesis-code') walks the pool in index order per class", () => {
  // ⌊6/3⌋ = 2 per class: c0 → 0, 1; c1 → 3, 6; c2 → 4, 7.
  assert.deepEqual(
    select("uniform:thesis-code", { probs: POOL, queried: none }, { k: 6, seed: 1 }),
    [
      0,
      1,
      3,
      6,
      4,
      7,
    ],
  );
  // ⌊4/3⌋ = 1 per class, then one random image from the rest.
  const picked = select("uniform:thesis-code", { probs: POOL, queried: none }, { k: 4, seed: 1 });
  assert.deepEqual(picked.slice(0, 3), [0, 3, 4]);
  assert.ok([1, 2, 5, 6, 7].includes(picked[3]!));
});

Deno.test("select('entropy+uniform') takes the highest-entropy images of each class", () => {
  const input = { probs: POOL, queried: none };
  assert.deepEqual(select("entropy+uniform", input, { k: 3, seed: 1 }), [2, 3, 4]);
  assert.deepEqual(select("entropy+uniform", input, { k: 6, seed: 1 }), [2, 1, 3, 6, 4, 7]);
  // Quotas [3, 2, 2]; class 0's third pick ties at entropy 0 between 0 and 5 → 0.
  assert.deepEqual(select("entropy+uniform", input, { k: 7, seed: 1 }), [2, 1, 0, 3, 6, 4, 7]);
  // k = 2 over 3 classes: one each for classes 0 and 1.
  assert.deepEqual(select("entropy+uniform", input, { k: 2, seed: 1 }), [2, 3]);
});

Deno.test("select('entropy+uniform:thesis-code') uses ⌊k/C⌋ per class then fills by entropy", () => {
  const input = { probs: POOL, queried: none };
  assert.deepEqual(select("entropy+uniform:thesis-code", input, { k: 6, seed: 1 }), [
    2,
    1,
    3,
    6,
    4,
    7,
  ]);
  // ⌊2/3⌋ = 0 per class: the code falls through to plain entropy.
  assert.deepEqual(select("entropy+uniform:thesis-code", input, { k: 2, seed: 1 }), [2, 4]);
});

// Centres of the clustering tests: the answers [1,0,0] and [0,1,0] (two distinct points, so
// K-Means puts one centre on each). Distances of the unqueried rows:
//        nearest  summed
// 1      0.7071   1.4142
// 2      0.6124   1.5478
// 4      0.9354   1.8708
// 5      1        2
// 6      0.3536   1.6283
// 7      1.0607   2.3355
Deno.test("select('clustering') takes the images farthest from their nearest centre", () => {
  assert.deepEqual(select("clustering", queried03, { k: 4, seed: 1, clusters: 2 }), [7, 5, 4, 1]);
});

Deno.test("select('clustering:thesis-code') ranks by summed distance to all centres", () => {
  assert.deepEqual(select("clustering:thesis-code", queried03, { k: 4, seed: 1 }), [7, 5, 4, 6]);
});

Deno.test("select('entropy+clustering') clusters within the entropy subset", () => {
  // Top 4 by entropy among unqueried: 2, 4, 1, 6; by nearest-centre distance: 4, 1, 2, 6.
  assert.deepEqual(
    select("entropy+clustering", queried03, { k: 2, seed: 1, clusters: 2, candidates: 4 }),
    [4, 1],
  );
});

Deno.test("select('entropy+clustering+uniform') adds an equal quota per predicted class", () => {
  // Same subset and order (4, 1, 2, 6), classes 2, 0, 0, 1: one per class → 1, 6, 4.
  assert.deepEqual(
    select("entropy+clustering+uniform", queried03, { k: 3, seed: 1, clusters: 2, candidates: 4 }),
    [1, 6, 4],
  );
});

Deno.test("select('entropy+clustering:thesis-code') reproduces the code's rank-for-index check", () => {
  // Queried {0, 5}: entropy ranks 0 and 5 (images 2 and 7) get distance 0 because the code tests
  // the rank, not the image, against the queried set. Summed distances otherwise: 4 → 1.8708,
  // 6 → 1.6283, 3 → 1.4654, 1 → 1.4142. Without the quirk, image 7 (2.3355) would come first.
  const input = { probs: POOL, queried: new Set([0, 5]), answers: oneHot([0, 1], 3) };
  assert.deepEqual(select("entropy+clustering:thesis-code", input, { k: 3, seed: 1 }), [4, 6, 3]);
  // The uniform combination of the code has no class step at all: the same picks.
  assert.deepEqual(select("entropy+clustering+uniform:thesis-code", input, { k: 3, seed: 1 }), [
    4,
    6,
    3,
  ]);
});

Deno.test("select('entropy+clustering:thesis-code') breaks distance-0 ties by the lower pool index", () => {
  // Issue 11's minimal case, 10 classes. Entropy order: 3 ([.1]×10), 2 ([.5, .5, 0…]), 0, 1.
  // Queried {0, 1}: ranks 0 and 1 (images 3 and 2) get distance 0 by the code's rank check;
  // images 0 and 1 are queried. Among the zeros the lower pool index, image 2, comes first
  // (entropy rank would pick 3).
  const row = (values: number[]) => [...values, ...new Array(10 - values.length).fill(0)];
  const probs = probsFromRows([
    row([0.875, 0.125]),
    row([1]),
    row([0.5, 0.5]),
    new Array(10).fill(0.1),
  ]);
  const input = { probs, queried: new Set([0, 1]), answers: oneHot([0, 1], 10) };
  for (const name of ["entropy+clustering:thesis-code", "entropy+clustering+uniform:thesis-code"]) {
    assert.deepEqual(select(name as StrategyName, input, { k: 1, seed: 1 }), [2], name);
    assert.deepEqual(select(name as StrategyName, input, { k: 2, seed: 1 }), [2, 3], name);
  }
});

Deno.test("select('k-center') greedily takes the farthest image from the centres", () => {
  // Centres: the substitute's rows 0 and 3. Squared min distances: 7 → 0.96875 first; then 5
  // (0.59375); then 2 (0.375, unchanged by the new centres).
  assert.deepEqual(select("k-center", queried03, { k: 3, seed: 1 }), [7, 5, 2]);
});

Deno.test("select() refuses clustering without answers and k-center without queried rows", () => {
  assert.throws(
    () => select("clustering", { probs: POOL, queried: new Set([0]) }, { k: 1, seed: 1 }),
    RangeError,
  );
  assert.throws(
    () => select("k-center", { probs: POOL, queried: none }, { k: 1, seed: 1 }),
    RangeError,
  );
  assert.throws(
    () => select("entropy", { probs: POOL, queried: none }, { k: -1, seed: 1 }),
    RangeError,
  );
  assert.throws(
    () => select("entropy", { probs: POOL, indices: [1, 2], queried: none }, { k: 1, seed: 1 }),
    TypeError,
  );
});

Deno.test("isStrategyName() and needsAnswers() know every strategy", () => {
  assert.ok(STRATEGY_NAMES.every(isStrategyName));
  assert.ok(!isStrategyName("entropy+magic"));
  const clustering: StrategyName[] = STRATEGY_NAMES.filter(needsAnswers);
  assert.equal(clustering.length, 6);
});
