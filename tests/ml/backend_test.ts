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

/** Trains LeNet for two steps in a fresh process with `threads` wasm threads. */
async function trainInProcess(threads: number): Promise<{ threads: number; weights: string }> {
  const script = `
    import { getThreadsCount } from "@tensorflow/tfjs-backend-wasm";
    import { createClassifier, initBackend, LENET } from "${
    new URL("../../lib/ml/mod.ts", import.meta.url).href
  }";
    await initBackend({ threads: ${threads} });
    const n = 128;
    const x = new Float32Array(n * 784).map((_, i) => ((i * 2654435761) % 1000) / 1000);
    const y = new Int32Array(n).map((_, i) => (i * 7) % 10);
    const model = createClassifier(LENET, { seed: 3 });
    await model.fit(x, y, { epochs: 1, batchSize: 64 });
    const digest = await crypto.subtle.digest("SHA-256", model.saveWeights());
    console.log(JSON.stringify({
      threads: getThreadsCount(),
      weights: Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join(""),
    }));
  `;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=ts", script],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  assert.equal(stderr.includes("warning"), false, stderr);
  return JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!);
}

Deno.test("2 wasm threads start in Deno, exit cleanly and train the same bits as 1", async () => {
  const one = await trainInProcess(1);
  const two = await trainInProcess(2);
  assert.equal(one.threads, 1);
  assert.equal(two.threads, 2);
  assert.equal(two.weights, one.weights);
});
