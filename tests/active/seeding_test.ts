import assert from "node:assert/strict";
import { probsFromRows } from "../../lib/active/probs.ts";
import {
  clusterSeeding,
  isSeedingName,
  randomSeeding,
  seed,
  SEEDING_NAMES,
} from "../../lib/active/seeding.ts";

/**
 * Two groups. A = rows 0, 1 (centre [0.75, 0.25, 0]); B = rows 2, 3, 4 (centre [0, 0.125, 0.875]).
 * Distance to own centre: 0 → 0.3536, 1 → 0.3536, 2 → 0.1768, 3 → 0.1768, 4 → 0.
 * Summed distance to all five points (the code's 10 clusters become 5, one per distinct point):
 * 0 → 4.7307, 1 → 3.9425, 2 → 3.1693, 3 → 2.7406, 4 → 2.7635.
 */
const GROUPS = probsFromRows([
  [1, 0, 0],
  [0.5, 0.5, 0],
  [0, 0, 1],
  [0, 0.25, 0.75],
  [0, 0.125, 0.875],
]);

Deno.test("randomSeeding() draws distinct indices, deterministic for a seed", () => {
  const a = randomSeeding(100, 10, { seed: 3 });
  assert.equal(a.length, 10);
  assert.equal(new Set(a).size, 10);
  assert.ok(a.every((i) => Number.isInteger(i) && i >= 0 && i < 100));
  assert.deepEqual(randomSeeding(100, 10, { seed: 3 }), a);
  assert.notDeepEqual(randomSeeding(100, 10, { seed: 4 }), a);
});

Deno.test("randomSeeding() returns the whole pool when the seed is larger", () => {
  assert.deepEqual(randomSeeding(5, 9, { seed: 1 }).sort(), [0, 1, 2, 3, 4]);
  assert.deepEqual(randomSeeding(0, 3, { seed: 1 }), []);
  assert.throws(() => randomSeeding(5, -1, { seed: 1 }), RangeError);
});

Deno.test("clusterSeeding() text variant takes the farthest from their own centre", () => {
  for (const s of [1, 2, 3]) {
    // Ties (0 and 1; 2 and 3) go to the lower index.
    assert.deepEqual(clusterSeeding(GROUPS, 2, { clusters: 2, seed: s }), [0, 1]);
    assert.deepEqual(clusterSeeding(GROUPS, 5, { clusters: 2, seed: s }), [0, 1, 2, 3, 4]);
  }
});

Deno.test("clusterSeeding() thesis-code variant sums distances to 10 centres whatever N is", () => {
  assert.deepEqual(clusterSeeding(GROUPS, 5, { clusters: 2, seed: 1, variant: "code" }), [
    0,
    1,
    2,
    4,
    3,
  ]);
  assert.deepEqual(
    clusterSeeding(GROUPS, 5, { clusters: 50, seed: 1, variant: "code" }),
    clusterSeeding(GROUPS, 5, { clusters: 2, seed: 9, variant: "code" }),
  );
});

Deno.test("clusterSeeding() with a size larger than the pool returns every index", () => {
  assert.deepEqual(clusterSeeding(GROUPS, 50, { clusters: 2, seed: 1 }).sort(), [0, 1, 2, 3, 4]);
});

Deno.test("clusterSeeding() on rows of zeros or identical rows takes the lowest indices", () => {
  const zeros = probsFromRows([[0, 0], [0, 0], [0, 0], [0, 0]]);
  assert.deepEqual(clusterSeeding(zeros, 2, { clusters: 10, seed: 1 }), [0, 1]);
  assert.deepEqual(clusterSeeding(zeros, 2, { clusters: 10, seed: 1, variant: "code" }), [0, 1]);
});

Deno.test("seed() dispatches by name and checks its input", () => {
  assert.ok(SEEDING_NAMES.every(isSeedingName));
  assert.ok(!isSeedingName("kmeans"));
  assert.deepEqual(
    seed("cluster", { poolSize: 5, probs: GROUPS }, 2, { clusters: 2, seed: 1 }),
    [0, 1],
  );
  assert.deepEqual(
    seed("cluster:thesis-code", { poolSize: 5, probs: GROUPS }, 5, { clusters: 2, seed: 1 }),
    [0, 1, 2, 4, 3],
  );
  assert.equal(seed("random", { poolSize: 5 }, 3, { clusters: 2, seed: 1 }).length, 3);
  assert.throws(() => seed("cluster", { poolSize: 5 }, 2, { clusters: 2, seed: 1 }), TypeError);
  assert.throws(
    () => seed("cluster", { poolSize: 4, probs: GROUPS }, 2, { clusters: 2, seed: 1 }),
    TypeError,
  );
});
