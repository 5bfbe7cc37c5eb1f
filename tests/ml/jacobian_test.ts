/** inputJacobian: the bits of tf.grad over the batch repeated per class, with one forward pass. */

import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend } from "../../lib/ml/backend.ts";
import { inputJacobian } from "../../lib/ml/jacobian.ts";
import { createNetwork, type Network } from "../../lib/ml/model.ts";
import { LENET, type ModelSpec } from "../../lib/ml/spec.ts";
import { logitsAndJacobian } from "../../lib/adversarial/model.ts";
import { createRng } from "../../lib/util/random.ts";

await initBackend();

/** `n` images with about `zeros` of their pixels exactly 0 (as MNIST's background). */
function images(spec: ModelSpec, n: number, seed: number, zeros = 0.6): Float32Array {
  const rng = createRng(seed);
  const [h, w, c] = spec.input;
  return Float32Array.from({ length: n * h * w * c }, () => {
    const u = rng.next();
    return u < zeros ? 0 : rng.next();
  });
}

/** The reference: tf.grad of the masked logits over the batch repeated once per class. */
function reference(net: Network, x: Float32Array) {
  return logitsAndJacobian(
    { input: net.spec.input, classes: net.spec.classes, logits: net.logits },
    x,
  );
}

function ours(net: Network, x: Float32Array) {
  const [h, w, c] = net.spec.input;
  const xt = tf.tensor4d(x, [x.length / (h * w * c), h, w, c]);
  const { logits, jacobian } = inputJacobian(net, xt);
  const out = {
    logits: logits.dataSync() as Float32Array,
    jacobian: jacobian.dataSync() as Float32Array,
  };
  tf.dispose([xt, logits, jacobian]);
  return out;
}

/** Equal bit for bit (NaN and -0 included). */
function assertSameBits(a: Float32Array, b: Float32Array, what: string) {
  assert.equal(a.length, b.length, `${what}: length`);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) {
    if (ua[i] !== ub[i]) assert.fail(`${what}: differs at ${i}: ${a[i]} vs ${b[i]}`);
  }
}

const SPECS: [string, ModelSpec][] = [
  ["LeNet", LENET],
  ["two convs without a pool, two hidden dense", {
    input: [10, 10, 2],
    conv: [{ filters: 4, kernel: 3, pool: 1 }, { filters: 6, kernel: 3, pool: 2 }],
    dense: [7, 5],
    classes: 3,
  }],
  ["dense only", { input: [4, 4, 1], conv: [], dense: [], classes: 4 }],
];

for (const [name, spec] of SPECS) {
  Deno.test(`inputJacobian gives tf.grad's bits: ${name}`, () => {
    const before = tf.memory().numTensors;
    for (const [seed, n] of [[1, 1], [2, 5], [3, 32]] as const) {
      const net = createNetwork(spec, seed);
      try {
        const x = images(spec, n, seed);
        const want = reference(net, x);
        const got = ours(net, x);
        assertSameBits(got.logits, want.logits, `${name} logits, ${n} images`);
        assertSameBits(got.jacobian, want.jacobian, `${name} Jacobian, ${n} images`);
      } finally {
        net.dispose();
      }
    }
    assert.equal(tf.memory().numTensors, before, "every tensor disposed");
  });
}

Deno.test("inputJacobian: the Jacobian is not the same for every class (the test can fail)", () => {
  const net = createNetwork(LENET, 7);
  try {
    const got = ours(net, images(LENET, 2, 7));
    const p = 28 * 28;
    const class0 = got.jacobian.subarray(0, p);
    const class1 = got.jacobian.subarray(2 * p, 3 * p);
    assert.ok(class0.some((v, i) => v !== class1[i]));
    assert.ok(class0.some((v) => v !== 0));
  } finally {
    net.dispose();
  }
});
