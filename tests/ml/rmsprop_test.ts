/**
 * `RMSProp` (lib/ml/rmsprop.ts) against tfjs's own `tf.train.rmsprop`: the same bits, step after
 * step, on wasm (our fused `QuarryRMSProp` kernel) and on cpu (tfjs's op chain).
 */

import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend, quietCpu } from "../../lib/ml/backend.ts";
import { QUARRY_RMSPROP } from "../../lib/ml/kernels/rmsprop.ts";
import { RMSProp } from "../../lib/ml/rmsprop.ts";

/** Deterministic values of mixed signs and magnitudes (1e-6 .. 1e2), zeros and -0 included. */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let a = seed >>> 0;
  for (let i = 0; i < n; i++) {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    const u = a / 4294967296;
    out[i] = i % 11 === 3 ? 0 : i % 13 === 5 ? -0 : (u - 0.5) * Math.pow(10, (i % 9) - 6);
  }
  return out;
}

let uid = 0;

/** Runs `steps` updates of fresh variables with each optimizer; returns the final bits. */
function train(
  makeOptimizer: () => { applyGradients(g: tf.NamedTensorMap): void; dispose(): void },
  shapes: number[][],
  steps: number,
  setRate?: (o: unknown, step: number) => void,
): Uint32Array[] {
  const tag = uid++;
  const vars = shapes.map((shape, i) =>
    tf.tidy(() =>
      tf.variable(
        tf.tensor(values(shape.reduce((a, b) => a * b, 1), 7 + i), shape),
        true,
        `rmsprop-test-${tag}-${i}`,
      )
    )
  );
  const optimizer = makeOptimizer();
  for (let s = 0; s < steps; s++) {
    setRate?.(optimizer, s);
    tf.tidy(() => {
      const grads: tf.NamedTensorMap = {};
      vars.forEach((v, i) => {
        grads[v.name] = tf.tensor(values(v.size, 100 * s + i), v.shape);
      });
      optimizer.applyGradients(grads);
    });
  }
  const bits = vars.map((v) => new Uint32Array((v.dataSync() as Float32Array).slice().buffer));
  optimizer.dispose();
  tf.dispose(vars);
  return bits;
}

// Sizes that exercise the SIMD body and the scalar tail (not multiples of 4).
const SHAPES = [[7, 5], [4], [3, 3, 2, 3], [1]];

for (const backend of ["wasm", "cpu"] as const) {
  for (const momentum of [0, 0.5]) {
    Deno.test(`RMSProp equals tf.train.rmsprop bit for bit on ${backend}, momentum ${momentum}`, async () => {
      await initBackend({ backend });
      quietCpu();
      assert.equal(tf.getBackend(), backend);
      // The fused kernel must be what runs on wasm, and only there.
      assert.equal(tf.getKernel(QUARRY_RMSPROP, backend) !== undefined, backend === "wasm");
      const rate = (o: unknown, step: number) => {
        (o as { learningRate: number }).learningRate = 0.01 * Math.pow(0.8, step);
      };
      const expected = train(() => tf.train.rmsprop(0.01, 0.9, momentum, 1e-7), SHAPES, 6, rate);
      const before = tf.memory().numTensors;
      const actual = train(
        () => new RMSProp({ learningRate: 0.01, decay: 0.9, momentum, epsilon: 1e-7 }),
        SHAPES,
        6,
        rate,
      );
      assert.deepEqual(actual, expected);
      assert.equal(tf.memory().numTensors, before, "tensors left behind");
    });
  }
}

Deno.test("RMSProp names a gradient without a variable", async () => {
  await initBackend();
  const optimizer = new RMSProp({ learningRate: 0.1 });
  assert.throws(
    () => tf.tidy(() => optimizer.applyGradients({ "no-such-variable": tf.scalar(1) })),
    /no variable named "no-such-variable"/,
  );
  optimizer.dispose();
});
