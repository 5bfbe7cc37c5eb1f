import assert from "node:assert/strict";
import {
  fitCentres,
  fitKMeans,
  inertiaOf,
  KMEANS_INITS,
  KMEANS_TOLERANCE,
  kmeansTolerance,
} from "../../lib/active/kmeans.ts";
import { probsFromRows } from "../../lib/active/probs.ts";
import { createRng } from "../../lib/util/random.ts";

/** 20 Gaussian blobs (sd 0.15) on a 5 × 4 grid of unit spacing, 20 points each. */
function blobs(): number[][] {
  const rng = createRng(7);
  const rows: number[][] = [];
  for (let b = 0; b < 20; b++) {
    const cx = b % 5, cy = Math.floor(b / 5);
    for (let i = 0; i < 20; i++) rows.push([cx + 0.15 * rng.normal(), cy + 0.15 * rng.normal()]);
  }
  return rows;
}

/** How many grid blobs have a centre within 0.25 of their true centre. */
function blobsFound(centres: Float64Array[]): number {
  const hit = new Set<number>();
  for (const [x = 0, y = 0] of centres) {
    const gx = Math.round(x), gy = Math.round(y);
    if (Math.hypot(x - gx, y - gy) < 0.25) hit.add(gx + 5 * gy);
  }
  return hit.size;
}

Deno.test("fitKMeans() keeps the best of 10 k-means++ starts: every blob gets its centre", () => {
  const rows = blobs();
  const p = probsFromRows(rows);
  assert.equal(KMEANS_INITS, 10);
  let singleFailures = 0;
  for (let seed = 0; seed < 10; seed++) {
    const one = fitKMeans(p, { clusters: 20, seed, inits: 1 });
    const best = fitKMeans(p, { clusters: 20, seed });
    // The first start of ten is the single start, so the best can only be as good or better.
    assert.ok(best.inertia <= one.inertia, `seed ${seed}: ${best.inertia} > ${one.inertia}`);
    assert.equal(blobsFound(best.centres), 20, `seed ${seed}: best of 10 finds every blob`);
    if (blobsFound(one.centres) < 20) {
      singleFailures++;
      assert.ok(best.inertia < one.inertia, `seed ${seed}: the worse clustering has more inertia`);
      assert.ok(best.init > 0, `seed ${seed}: a later start won`);
    }
    // Probs hold float32 values: the inertia is of the rounded points.
    const stored = rows.map((r) => r.map(Math.fround));
    assert.ok(Math.abs(best.inertia - inertiaOf(stored, best.centres)) < 1e-9);
  }
  // On this pool one k-means++ start often puts one centre over two blobs (seeds 2, 4, 7).
  assert.ok(singleFailures >= 2, `one start should fail for some seeds, failed ${singleFailures}`);
});

Deno.test("fitCentres() is deterministic for a seed and drops to the distinct points", () => {
  const p = probsFromRows(blobs());
  const a = fitCentres(p, { clusters: 20, seed: 3 });
  assert.deepEqual(fitCentres(p, { clusters: 20, seed: 3 }), a);
  const few = probsFromRows([[1, 0], [1, 0], [0, 1], [0, 1]]);
  const fit = fitKMeans(few, { clusters: 5, seed: 1 });
  assert.equal(fit.centres.length, 2);
  assert.equal(fit.inertia, 0);
  assert.throws(() => fitKMeans(few, { clusters: 2, seed: 1, inits: 0 }), /initialisation count/);
  assert.throws(() => fitKMeans(few, { clusters: 0, seed: 1 }), /cluster count/);
});

Deno.test("kmeansTolerance() is scikit-learn's tol · mean variance, shared out over the centres", () => {
  // x: 0, 2, 0, 2 (variance 1); y: 0, 0, 4, 4 (variance 4): mean variance 2.5.
  const pts = [[0, 0], [2, 0], [0, 4], [2, 4]];
  assert.ok(Math.abs(kmeansTolerance(pts, 1e-4, 1) - 2.5e-4) < 1e-15);
  assert.ok(Math.abs(kmeansTolerance(pts, 1e-4, 5) - 5e-5) < 1e-15);
  // Scales with the data's variance, as scikit-learn's does.
  const wide = pts.map((p) => p.map((v) => 10 * v));
  assert.ok(Math.abs(kmeansTolerance(wide, 1e-4, 1) - 2.5e-2) < 1e-12);
});

/** One Lloyd step from `centres`: the sum of the centres' squared shifts. */
function lloydShift(points: number[][], centres: Float64Array[]): number {
  const sums = centres.map((c) => new Float64Array(c.length));
  const counts = centres.map(() => 0);
  for (const p of points) {
    let best = 0;
    let bestD = Infinity;
    centres.forEach((c, j) => {
      const d = p.reduce((s, v, i) => s + (v - c[i]!) ** 2, 0);
      if (d < bestD) [best, bestD] = [j, d];
    });
    counts[best]!++;
    p.forEach((v, i) => sums[best]![i]! += v);
  }
  return centres.reduce((total, c, j) => {
    if (counts[j] === 0) return total;
    return total + [...c].reduce((s, v, i) => s + (sums[j]![i]! / counts[j]! - v) ** 2, 0);
  }, 0);
}

Deno.test("fitKMeans() runs Lloyd to scikit-learn's tolerance, and keeps the first of equal fits", () => {
  // Uniform points (no clear clusters): Lloyd needs many steps to settle.
  const rng = createRng(11);
  const rows = Array.from({ length: 300 }, () => [rng.next(), rng.next(), rng.next()]);
  const p = probsFromRows(rows);
  const stored = rows.map((r) => r.map(Math.fround));
  const fit = fitKMeans(p, { clusters: 12, seed: 5 });
  const bound = kmeansTolerance(stored, KMEANS_TOLERANCE, 1);
  const shift = lloydShift(stored, fit.centres);
  assert.ok(shift <= bound, `one more Lloyd step moves the centres by ${shift} > ${bound}`);
  // Every start reaches inertia 0 on two distinct points: the first start is kept.
  const few = probsFromRows([[1, 0], [1, 0], [0, 1]]);
  assert.equal(fitKMeans(few, { clusters: 2, seed: 1 }).init, 0);
});
