/** initBackend: wasm by default, idempotent, cpu on request or (with a warning) on failure. */

import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend, wasmDistDir } from "../../lib/ml/backend.ts";

Deno.test("wasmDistDir names the folder holding the wasm binaries", async () => {
  const stat = await Deno.stat(`${wasmDistDir()}tfjs-backend-wasm-simd.wasm`);
  assert.ok(stat.isFile);
});

Deno.test("initBackend selects wasm and is idempotent", async () => {
  assert.equal(await initBackend(), "wasm");
  assert.equal(await initBackend(), "wasm");
  assert.equal(tf.getBackend(), "wasm");
});

Deno.test("initBackend gives cpu when asked and rejects bad options", async () => {
  await assert.rejects(() => initBackend({ threads: 0 }), RangeError);
  assert.equal(await initBackend({ backend: "cpu" }), "cpu");
  assert.equal(await initBackend(), "wasm");
});

Deno.test("initBackend falls back to cpu with a warning when wasm cannot start", async () => {
  const script = `
    import { initBackend } from "${new URL("../../lib/ml/backend.ts", import.meta.url).href}";
    console.log(await initBackend({ wasmDir: "/nonexistent/quarry-wasm/" }));
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=ts", script],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout).trim();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  assert.equal(stdout.split("\n").at(-1), "cpu");
  assert.match(stderr, /wasm backend did not start/);
});

Deno.test("@tensorflow/tfjs (layers) shares tfjs-core, its engine and our kernels", async () => {
  const tfjs = await import("@tensorflow/tfjs");
  await initBackend();
  assert.equal(tfjs.engine(), tf.engine());
  assert.equal(tfjs.getBackend(), "wasm");
  assert.notEqual(tfjs.getKernel("Conv2DBackpropFilter", "wasm"), undefined);
  assert.equal(tfjs.version_core, tf.version_core);
});

/**
 * Runs `body` in a fresh process after `initBackend({ threads })` (or `initBackend()` with
 * `QUARRY_THREADS` set, when `threads` is `{ env }`); returns its last JSON line.
 */
async function inProcess(
  threads: number | { env: string },
  body: string,
): Promise<Record<string, unknown>> {
  const fromEnv = typeof threads === "object";
  const script = `
    import * as tf from "@tensorflow/tfjs-core";
    import { getThreadsCount } from "@tensorflow/tfjs-backend-wasm";
    import { createClassifier, initBackend, LENET } from "${
    new URL("../../lib/ml/mod.ts", import.meta.url).href
  }";
    await initBackend(${fromEnv ? "" : `{ threads: ${threads} }`});
    const hex = async (bytes) => Array.from(
      new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)),
      (b) => b.toString(16).padStart(2, "0"),
    ).join("");
    ${body}
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=ts", script],
    env: fromEnv ? { QUARRY_THREADS: threads.env } : {},
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  assert.equal(stderr.includes("warning"), false, stderr);
  return JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!);
}

/** Trains LeNet for two steps with `threads` wasm threads; the digest of its weights. */
function trainInProcess(threads: number | { env: string }): Promise<Record<string, unknown>> {
  return inProcess(
    threads,
    `
    const n = 128;
    const x = new Float32Array(n * 784).map((_, i) => ((i * 2654435761) % 1000) / 1000);
    const y = new Int32Array(n).map((_, i) => (i * 7) % 10);
    const model = createClassifier(LENET, { seed: 3 });
    await model.fit(x, y, { epochs: 1, batchSize: 64 });
    console.log(JSON.stringify({ threads: getThreadsCount(), weights: await hex(model.saveWeights()) }));
  `,
  );
}

/**
 * Every kernel that splits its work over threads, on shapes that split unevenly (odd batches,
 * 5 filter rows, padding, a length that is no multiple of 4, rows and columns that are not); the
 * digest of all outputs.
 */
function kernelsInProcess(threads: number): Promise<Record<string, unknown>> {
  return inProcess(
    threads,
    `
    const r = (shape, seed) => tf.randomUniform(shape, -1, 1, "float32", seed);
    const k = (name, inputs, attrs) => tf.engine().runKernel(name, inputs, attrs);
    const conv = { strides: 1, pad: "same", dataFormat: "NHWC", dimRoundingMode: undefined };
    const outs = tf.tidy(() => {
      const x1 = r([3, 11, 9, 1], 1), w1 = r([5, 5, 1, 8], 2), b1 = r([8], 3);
      const x4 = r([5, 10, 9, 4], 4), w4 = r([5, 3, 4, 6], 5);
      const y1 = tf.fused.conv2d({ x: x1, filter: w1, strides: 1, bias: b1, pad: "same", activation: "relu" });
      const dy1 = r(y1.shape, 6);
      const dy4 = r([5, 10, 9, 6], 7);
      const pooled = tf.maxPool(x4, 2, 2, "same");
      const v = r([1027], 8), ms = tf.abs(r([1027], 9)), mom = r([1027], 10), g = r([1027], 11);
      const x20 = tf.relu(r([7, 12, 12, 20], 14)), w20 = r([5, 5, 20, 50], 15), b20 = r([50], 16);
      const a = tf.relu(r([37, 800], 17)), wd = r([800, 502], 18), bd = r([502], 19);
      return [
        y1,
        tf.fused.conv2d({ x: x20, filter: w20, strides: 1, bias: b20, pad: "valid", activation: "relu" }),
        tf.conv2d(x20, w20, 1, "same"),
        tf.fused.matMul({ a, b: wd, bias: bd, activation: "relu" }),
        k("QuarryConvReluPool", { x: x20, filter: w20, bias: b20 }, {}),
        k("QuarryConvReluPool", { x: r([9, 28, 28, 1], 20), filter: r([5, 5, 1, 20], 21), bias: r([20], 22) }, {}),
        tf.matMul(a, wd),
        tf.conv2d(r([2, 9, 9, 1], 12), w1, 2, "valid"),
        k("Conv2DBackpropFilter", { x: x1, dy: dy1 }, { ...conv, filterShape: w1.shape }),
        k("Conv2DBackpropFilter", { x: x4, dy: dy4 }, { ...conv, filterShape: w4.shape }),
        k("Conv2DBackpropInput", { dy: dy4, filter: w4 }, { ...conv, inputShape: x4.shape }),
        tf.engine().runKernel("MaxPoolGrad", { dy: r(pooled.shape, 13), input: x4, output: pooled },
          { filterSize: 2, strides: 2, pad: "same" }),
        ...tf.engine().runKernel("QuarryRMSProp", { value: v, meanSquare: ms, moment: mom, gradient: g },
          { learningRate: 0.01, decay: 0.9, momentum: 0.5, epsilon: 1e-7 }),
      ];
    });
    const bytes = outs.flatMap((t) => Array.from(new Uint8Array(t.dataSync().buffer)));
    console.log(JSON.stringify({ threads: getThreadsCount(), outputs: await hex(new Uint8Array(bytes)) }));
  `,
  );
}

Deno.test("2 wasm threads start in Deno, exit cleanly and train the same bits as 1", async () => {
  const one = await trainInProcess(1);
  const two = await trainInProcess(2);
  assert.equal(one.threads, 1);
  assert.equal(two.threads, 2);
  assert.equal(two.weights, one.weights);
});

Deno.test("QUARRY_THREADS sets the default thread count (same bits); a bad value is an error", async () => {
  const one = await trainInProcess({ env: "1" });
  const two = await trainInProcess({ env: "2" });
  assert.deepEqual([one.threads, two.threads], [1, 2]);
  assert.equal(two.weights, one.weights);
  await assert.rejects(() => trainInProcess({ env: "two" }), /QUARRY_THREADS: expected a positive/);
});

Deno.test("kernels split over 2 and 3 threads give the bits of 1 thread", async () => {
  const [one, two, three] = [
    await kernelsInProcess(1),
    await kernelsInProcess(2),
    await kernelsInProcess(3),
  ];
  assert.deepEqual([one.threads, two.threads, three.threads], [1, 2, 3]);
  assert.equal(two.outputs, one.outputs);
  assert.equal(three.outputs, one.outputs);
});
