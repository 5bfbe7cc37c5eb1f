/** The SIMD helper pool (lib/ml/kernels/simd_pool.ts): splitting, threads, errors, shutdown. */

import assert from "node:assert/strict";
import { createSimdPool, splitRange, splitVectors } from "../../lib/ml/kernels/simd_pool.ts";
import { simdKernels, simdModule } from "../../lib/ml/kernels/simd.ts";

Deno.test("splitRange covers 0..n in order with near-equal, non-empty pieces", () => {
  assert.deepEqual(splitRange(64, 2), [[0, 32], [32, 64]]);
  assert.deepEqual(splitRange(5, 2), [[0, 2], [2, 5]]);
  assert.deepEqual(splitRange(7, 3), [[0, 2], [2, 4], [4, 7]]);
  assert.deepEqual(splitRange(1, 4), [[0, 1]]);
  assert.deepEqual(splitRange(0, 2), [[0, 0]]);
  assert.deepEqual(splitRange(9, 1), [[0, 9]]);
});

/** x [n, 3, 2, 1] at byte 0, padded to [n, 4, 4, 1] at byte 4096, one part per image block. */
function padParts(n: number, parts: number): number[][] {
  return splitRange(n, parts).map(([n0, n1]) => [
    4 * n0 * 6,
    4096 + 4 * n0 * 16,
    n1 - n0,
    3,
    2,
    1,
    1,
    1,
    4,
    4,
  ]);
}

Deno.test("a 3-thread pool computes what one thread does, and reports a helper's failure", async () => {
  const memory = new WebAssembly.Memory({ initial: 2, maximum: 16, shared: true });
  const kernels = simdKernels(memory);
  const f = new Float32Array(memory.buffer);
  const n = 5;
  for (let i = 0; i < n * 6; i++) f[i] = i + 1;
  kernels.pad_nhwc(0, 4096, n, 3, 2, 1, 1, 1, 4, 4);
  const expected = f.slice(1024, 1024 + n * 16);
  f.fill(-1, 1024, 1024 + n * 16);

  const pool = await createSimdPool(simdModule(true), memory, kernels, 3);
  try {
    assert.equal(pool.threads, 3);
    pool.run("pad_nhwc", padParts(n, 3));
    assert.deepEqual(f.slice(1024, 1024 + n * 16), expected);
    // More parts than threads run in rounds.
    f.fill(-1, 1024, 1024 + n * 16);
    pool.run("pad_nhwc", padParts(n, 5));
    assert.deepEqual(f.slice(1024, 1024 + n * 16), expected);
    // A part that writes past the memory traps on its helper thread.
    assert.throws(
      () => pool.run("pad_nhwc", [padParts(1, 1)[0]!, [0, 16 * 65536, 1, 3, 2, 1, 1, 1, 4, 4]]),
      /pad_nhwc failed on a helper thread/,
    );
    // The pool still works afterwards.
    pool.run("pad_nhwc", padParts(n, 2));
    assert.deepEqual(f.slice(1024, 1024 + n * 16), expected);
  } finally {
    await pool.close();
  }
});

Deno.test("a 1-thread pool runs parts in order on this thread", async () => {
  const memory = new WebAssembly.Memory({ initial: 2 });
  const kernels = simdKernels(memory);
  const pool = await createSimdPool(simdModule(false), memory, kernels, 1);
  assert.equal(pool.threads, 1);
  const f = new Float32Array(memory.buffer);
  for (let i = 0; i < 12; i++) f[i] = i + 1;
  pool.run("pad_nhwc", padParts(2, 2));
  assert.deepEqual(Array.from(f.subarray(1024, 1028)), [0, 0, 0, 0]);
  assert.deepEqual(Array.from(f.subarray(1028, 1032)), [0, 1, 2, 0]);
  assert.deepEqual(Array.from(f.subarray(1040 + 4, 1040 + 8)), [0, 7, 8, 0]);
  await pool.close();
});

Deno.test("splitVectors splits into whole 4-float vectors, the tail in the last piece", () => {
  assert.deepEqual(splitVectors(18, 2), [[0, 8], [8, 18]]);
  assert.deepEqual(splitVectors(3, 2), [[0, 3]]);
  assert.deepEqual(splitVectors(16, 4), [[0, 4], [4, 8], [8, 12], [12, 16]]);
});
