/**
 * Each kernel we register for the wasm backend against the cpu backend's, on small random inputs:
 * equal within 1e-5 relative to the largest magnitude of the cpu result.
 */

import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { initBackend, quietCpu } from "../../lib/ml/backend.ts";
import { WASM_KERNELS } from "../../lib/ml/kernels/mod.ts";
import { runWasmKernel, type WasmBackend } from "../../lib/ml/kernels/wasm_util.ts";

const TOLERANCE = 1e-5;

/** mulberry32: a tiny seeded PRNG for test data. */
function randoms(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let a = seed >>> 0;
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

interface Input {
  shape: number[];
  values: Float32Array<ArrayBufferLike>;
}

function input(shape: number[], seed: number): Input {
  return { shape, values: randoms(shape.reduce((a, b) => a * b, 1), seed) };
}

/** Runs one kernel on the named backend and returns its output values and shape. */
async function runOn(
  backend: "wasm" | "cpu",
  kernelName: string,
  inputs: Record<string, Input>,
  attrs: Record<string, unknown>,
): Promise<{ shape: number[]; values: Float32Array }> {
  assert.ok(await tf.setBackend(backend));
  quietCpu();
  const tensors: Record<string, tf.Tensor> = {};
  for (const [name, { shape, values }] of Object.entries(inputs)) {
    tensors[name] = tf.tensor(values, shape, "float32");
  }
  const out = tf.engine().runKernel(kernelName, tensors, attrs as tf.NamedAttrMap) as tf.Tensor;
  const result = { shape: out.shape, values: out.dataSync() as Float32Array };
  out.dispose();
  for (const t of Object.values(tensors)) t.dispose();
  return result;
}

function maxRelativeError(actual: Float32Array, expected: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs((actual[i] as number) - (expected[i] as number)));
    scale = Math.max(scale, Math.abs(expected[i] as number));
  }
  return scale === 0 ? diff : diff / scale;
}

async function assertSameAsCpu(
  kernelName: string,
  inputs: Record<string, Input>,
  attrs: Record<string, unknown>,
): Promise<void> {
  const expected = await runOn("cpu", kernelName, inputs, attrs);
  const actual = await runOn("wasm", kernelName, inputs, attrs);
  assert.deepEqual(actual.shape, expected.shape, `${kernelName} output shape`);
  const error = maxRelativeError(actual.values, expected.values);
  assert.ok(
    error <= TOLERANCE,
    `${kernelName} ${JSON.stringify(attrs)}: relative error ${error} > ${TOLERANCE}`,
  );
}

/** Convolution geometries: [x shape, filter shape, strides, pad]. */
const CONV_CASES: [number[], number[], [number, number], "valid" | "same" | number][] = [
  [[2, 8, 8, 1], [5, 5, 1, 4], [1, 1], "valid"],
  [[3, 7, 9, 3], [3, 3, 3, 5], [1, 1], "same"],
  [[2, 9, 8, 2], [3, 2, 2, 3], [2, 2], "same"],
  [[2, 10, 10, 4], [5, 5, 4, 6], [2, 1], "valid"],
  [[1, 6, 6, 2], [3, 3, 2, 2], [1, 2], 1],
  [[3, 12, 12, 8], [5, 5, 8, 7], [1, 1], "valid"],
  [[2, 9, 11, 4], [3, 3, 4, 9], [1, 1], "same"],
  [[3, 10, 9, 1], [5, 5, 1, 12], [2, 1], "same"],
  [[2, 9, 9, 1], [3, 7, 1, 8], [1, 1], "valid"],
  [[4, 28, 28, 1], [5, 5, 1, 20], [1, 1], "valid"],
  [[2, 9, 10, 1], [3, 3, 1, 4], [1, 2], "same"],
];

Deno.test("every kernel in WASM_KERNELS is registered for wasm", async () => {
  await initBackend();
  for (const config of WASM_KERNELS) {
    assert.equal(tf.getKernel(config.kernelName, "wasm")?.kernelFunc, config.kernelFunc);
  }
});

Deno.test("Conv2DBackpropFilter on wasm equals cpu", async () => {
  await initBackend();
  let seed = 1;
  for (const [xShape, filterShape, strides, pad] of CONV_CASES) {
    const info = tf.backend_util.computeConv2DInfo(
      xShape as [number, number, number, number],
      filterShape as [number, number, number, number],
      strides,
      1,
      pad,
    );
    await assertSameAsCpu("Conv2DBackpropFilter", {
      x: input(xShape, seed++),
      dy: input(info.outShape, seed++),
    }, { strides, pad, dataFormat: "NHWC", dilations: 1, filterShape });
  }
});

Deno.test("Conv2DBackpropInput on wasm equals cpu", async () => {
  await initBackend();
  let seed = 100;
  for (const [xShape, filterShape, strides, pad] of CONV_CASES) {
    const info = tf.backend_util.computeConv2DInfo(
      xShape as [number, number, number, number],
      filterShape as [number, number, number, number],
      strides,
      1,
      pad,
    );
    await assertSameAsCpu("Conv2DBackpropInput", {
      dy: input(info.outShape, seed++),
      filter: input(filterShape, seed++),
    }, { strides, pad, dataFormat: "NHWC", dimRoundingMode: undefined, inputShape: xShape });
  }
});

Deno.test("BatchMatMul on wasm equals cpu, transposed or not", async () => {
  await initBackend();
  let seed = 200;
  const cases: [number[], number[]][] = [[[7, 5], [5, 3]], [[2, 6], [6, 9]], [[9, 6], [6, 2]], [[
    1,
    6,
    4,
  ], [1, 4, 9]], [[3, 5, 4], [
    3,
    4,
    2,
  ]]];
  for (const [aShape, bShape] of cases) {
    for (const transposeA of [false, true]) {
      for (const transposeB of [false, true]) {
        const swap = (shape: number[], t: boolean) =>
          t ? [...shape.slice(0, -2), shape.at(-1)!, shape.at(-2)!] : shape;
        await assertSameAsCpu("BatchMatMul", {
          a: input(swap(aShape, transposeA), seed++),
          b: input(swap(bShape, transposeB), seed++),
        }, { transposeA, transposeB });
      }
    }
  }
});

Deno.test("MaxPoolGrad on wasm equals cpu, ties and overlapping windows included", async () => {
  await initBackend();
  const cases: [number[], number, number, "valid" | "same"][] = [
    [[2, 8, 8, 3], 2, 2, "valid"],
    [[2, 7, 9, 4], 3, 2, "same"],
    [[1, 6, 6, 2], 3, 1, "valid"],
    [[2, 5, 5, 1], 2, 2, "same"],
  ];
  let seed = 300;
  for (const [xShape, filterSize, stride, pad] of cases) {
    // Coarse values clipped at 0, as after a relu: many windows hold ties.
    const x = input(xShape, seed++);
    x.values = x.values.map((v) => Math.max(0, Math.round(v * 2) / 2));
    const info = tf.backend_util.computePool2DInfo(
      xShape as [number, number, number, number],
      filterSize,
      stride,
      1,
      pad,
    );
    const output: Input = { shape: info.outShape, values: new Float32Array(0) };
    output.values = (await runOn("cpu", "MaxPool", { x }, {
      filterSize,
      strides: stride,
      pad,
    })).values;
    await assertSameAsCpu("MaxPoolGrad", {
      dy: input(info.outShape, seed++),
      input: x,
      output,
    }, { filterSize, strides: stride, pad });
  }
});

Deno.test("Sum on wasm equals cpu (leading axes by SIMD, others by the stock kernel)", async () => {
  await initBackend();
  let seed = 400;
  const cases: [number[], number[], boolean][] = [
    [[64, 6, 6, 7], [0, 1, 2], false],
    [[5, 9], [0], true],
    [[3, 4, 8], [0, 1], true],
    [[3, 4, 5], [2], false],
    [[3, 4, 5], [0, 2], false],
    [[3, 4, 5], [0, 1, 2], false],
  ];
  for (const [shape, axis, keepDims] of cases) {
    // Offset values make rounding in float32 accumulation visible.
    const x = input(shape, seed++);
    x.values = x.values.map((v) => v + 1000);
    await assertSameAsCpu("Sum", { x }, { axis, keepDims });
  }
});

Deno.test("Conv2D and FusedConv2D on wasm equal cpu (one channel by SIMD, others stock)", async () => {
  await initBackend();
  let seed = 500;
  for (const [xShape, filterShape, strides, pad] of CONV_CASES) {
    // tfjs 4.22's stock wasm Conv2D itself disagrees with cpu on a numeric pad with unequal
    // strides (a case our kernels hand to it).
    if (typeof pad === "number") continue;
    const x = input(xShape, seed++);
    const filter = input(filterShape, seed++);
    const base = { strides, pad, dataFormat: "NHWC", dilations: [1, 1] };
    await assertSameAsCpu("Conv2D", { x, filter }, base);
    for (const activation of ["relu", "linear", "elu"]) {
      const bias = input([filterShape[3]!], seed++);
      await assertSameAsCpu("FusedConv2D", { x, filter, bias }, { ...base, activation });
    }
    await assertSameAsCpu("FusedConv2D", { x, filter }, { ...base, activation: "relu" });
  }
});

Deno.test("conv2d gradients on wasm equal cpu (end to end)", async () => {
  await initBackend();
  const x = input([4, 12, 12, 2], 7);
  const w = input([5, 5, 2, 3], 8);
  const grads = async (backend: "wasm" | "cpu") => {
    assert.ok(await tf.setBackend(backend));
    quietCpu();
    return tf.tidy(() => {
      const xt = tf.tensor4d(x.values, x.shape as [number, number, number, number]);
      const wt = tf.tensor4d(w.values, w.shape as [number, number, number, number]);
      const f = (a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.square(tf.relu(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, "same"))));
      return tf.grads(f)([xt, wt]).map((g) => g.dataSync() as Float32Array);
    });
  };
  const expected = await grads("cpu");
  const actual = await grads("wasm");
  for (let i = 0; i < expected.length; i++) {
    const error = maxRelativeError(actual[i] as Float32Array, expected[i] as Float32Array);
    assert.ok(error <= TOLERANCE, `gradient ${i}: relative error ${error}`);
  }
});

Deno.test("Identity on wasm shares the buffer: a clone is no copy and outlives its source", async () => {
  await initBackend();
  const x = tf.tensor2d([[1, -2], [3, 4.5]]);
  const y = tf.clone(x);
  assert.equal(y.dataId, x.dataId);
  x.dispose();
  assert.deepEqual(Array.from(y.dataSync()), [1, -2, 3, 4.5]);
  assert.deepEqual(y.shape, [2, 2]);
  y.dispose();
  const s = tf.tensor1d(["a", "b"], "string");
  const t = tf.clone(s);
  s.dispose();
  assert.deepEqual(t.dataSync(), ["a", "b"]);
  t.dispose();
});

Deno.test("Add on wasm equals cpu (a bias over the last axis by SIMD, others stock)", async () => {
  await initBackend();
  let seed = 500;
  const cases: [number[], number[]][] = [
    [[3, 5, 7, 6], [6]],
    [[4, 5], [5]],
    [[5], [5]],
    [[2, 3], [2, 3]],
    [[6], [2, 6]],
    [[4, 1], [4]],
  ];
  for (const [a, b] of cases) {
    await assertSameAsCpu("Add", { a: input(a, seed++), b: input(b, seed++) }, {});
  }
});

/** Float32 values with the edge cases of a ReLU mask: ±0, NaN, ±Infinity, tiny and huge. */
const EDGES = [0, -0, NaN, Infinity, -Infinity, 1e-40, -1e-40, 3e38, -3e38, 1, -1, 0.5];

Deno.test("Relu's gradient on wasm is tfjs's formula, bit for bit (NaN for NaN)", async () => {
  await initBackend();
  const n = 4 * 37 + 3; // SIMD body and a tail
  const x = tf.tensor1d(Array.from({ length: n }, (_, i) => EDGES[i % EDGES.length]! * (i % 5)));
  const dy = tf.tensor1d(Array.from({ length: n }, (_, i) => EDGES[(i * 7) % EDGES.length]!));
  const grad = tf.grad((t: tf.Tensor) => tf.relu(t));
  const actual = grad(x, dy);
  const expected = tf.mul(dy, tf.cast(tf.step(x), "float32"));
  // Bits, except that every NaN counts as one (which NaN a product gives is not portable).
  const bits = (t: tf.Tensor) =>
    Array.from(
      t.dataSync() as Float32Array,
      (v) => Number.isNaN(v) ? "NaN" : Object.is(v, -0) ? "-0" : v,
    );
  assert.deepEqual(bits(actual), bits(expected));
  tf.dispose([x, dy, actual, expected]);
});

/** Runs a kernel on wasm, ours (registered) or the stock XNNPACK one, and returns its values. */
async function wasmValues(
  kernelName: string,
  inputs: Record<string, Input>,
  attrs: Record<string, unknown>,
  stock: boolean,
): Promise<Float32Array> {
  assert.ok(await tf.setBackend("wasm"));
  const tensors: Record<string, tf.Tensor> = {};
  for (const [name, { shape, values }] of Object.entries(inputs)) {
    tensors[name] = tf.tensor(values, shape, "float32");
  }
  let values: Float32Array;
  if (stock) {
    const backend = tf.backend() as unknown as WasmBackend;
    const out = runWasmKernel(backend, kernelName, tensors as never, attrs as tf.NamedAttrMap);
    const t = tf.engine().makeTensorFromTensorInfo(out);
    values = t.dataSync() as Float32Array;
    t.dispose();
  } else {
    const out = tf.engine().runKernel(kernelName, tensors, attrs as tf.NamedAttrMap) as tf.Tensor;
    values = out.dataSync() as Float32Array;
    out.dispose();
  }
  for (const t of Object.values(tensors)) t.dispose();
  return values;
}

/** Asserts our kernel gives the stock XNNPACK kernel's bits (every value, -0 included). */
async function assertSameAsXnnpack(
  kernelName: string,
  inputs: Record<string, Input>,
  attrs: Record<string, unknown>,
): Promise<void> {
  const expected = await wasmValues(kernelName, inputs, attrs, true);
  const actual = await wasmValues(kernelName, inputs, attrs, false);
  assert.equal(actual.length, expected.length);
  const differ = actual.findIndex((v, i) => !Object.is(v, expected[i]));
  assert.equal(differ, -1, `${kernelName} ${JSON.stringify(attrs)}: value ${differ} differs`);
}

Deno.test("multi-channel Conv2D and FusedConv2D give XNNPACK's bits", async () => {
  await initBackend();
  let seed = 900;
  const cases: [number[], number[], [number, number], "valid" | "same"][] = [
    [[3, 12, 12, 20], [5, 5, 20, 50], [1, 1], "valid"],
    [[2, 9, 11, 4], [3, 3, 4, 9], [1, 1], "same"],
    [[2, 10, 10, 3], [5, 5, 3, 6], [2, 1], "valid"],
    [[1, 7, 7, 2], [3, 2, 2, 4], [1, 1], "same"],
    [[2, 8, 8, 1], [3, 3, 1, 5], [1, 1], "valid"],
  ];
  for (const [xShape, filterShape, strides, pad] of cases) {
    const x = input(xShape, seed++);
    x.values = x.values.map((v) => Math.max(0, v)); // ReLU outputs: exact zeros occur
    const filter = input(filterShape, seed++);
    const base = { strides, pad, dataFormat: "NHWC", dilations: [1, 1] };
    await assertSameAsXnnpack("Conv2D", { x, filter }, base);
    for (const activation of ["relu", "linear"]) {
      const bias = input([filterShape[3]!], seed++);
      await assertSameAsXnnpack("FusedConv2D", { x, filter, bias }, { ...base, activation });
    }
  }
});

Deno.test("_FusedMatMul by our gemm gives XNNPACK's bits", async () => {
  await initBackend();
  let seed = 950;
  const shapes: [number, number, number][] = [[37, 800, 500], [5, 13, 10], [4, 7, 6], [9, 3, 4]];
  for (const [m, k, n] of shapes) {
    const a = input([1, m, k], seed++);
    a.values = a.values.map((v) => Math.max(0, v));
    const b = input([1, k, n], seed++);
    const bias = input([n], seed++);
    for (const activation of ["relu", "linear"]) {
      const attrs = { transposeA: false, transposeB: false, activation };
      await assertSameAsXnnpack("_FusedMatMul", { a, b, bias }, attrs);
      await assertSameAsXnnpack("_FusedMatMul", { a, b }, attrs);
    }
  }
});

Deno.test("QuarryConvReluPool gives the bits of FusedConv2D (relu) then MaxPool 2x2", async () => {
  await initBackend();
  let seed = 980;
  const cases: [number[], number[]][] = [
    [[3, 28, 28, 1], [5, 5, 1, 20]],
    [[2, 12, 12, 20], [5, 5, 20, 50]],
    [[2, 11, 13, 1], [3, 3, 1, 8]], // odd sizes: the last row and column are dropped
    [[2, 9, 10, 3], [3, 2, 3, 6]],
    [[1, 10, 14, 1], [3, 3, 1, 6]], // one channel, out channels no multiple of 4
  ];
  for (const [xShape, filterShape] of cases) {
    const x = input(xShape, seed++);
    const filter = input(filterShape, seed++);
    const bias = input([filterShape[3]!], seed++);
    assert.ok(await tf.setBackend("wasm"));
    const [xt, ft, bt] = [x, filter, bias].map((t) => tf.tensor(t.values, t.shape, "float32"));
    const fused = tf.engine().runKernel(
      "QuarryConvReluPool",
      { x: xt!, filter: ft!, bias: bt! },
      {},
    );
    const chain = tf.maxPool(
      tf.fused.conv2d({
        x: xt as tf.Tensor4D,
        filter: ft as tf.Tensor4D,
        bias: bt,
        strides: 1,
        pad: "valid",
        activation: "relu",
      }),
      2,
      2,
      "valid",
    );
    const [a, b] = [(fused as tf.Tensor).dataSync(), chain.dataSync()];
    assert.deepEqual((fused as tf.Tensor).shape, chain.shape);
    assert.equal(a.findIndex((v, i) => !Object.is(v, b[i])), -1, `${xShape} ${filterShape}`);
    tf.dispose([xt!, ft!, bt!, fused as tf.Tensor, chain]);
  }
});

Deno.test("MaxPool and Relu give the stock kernels' bits, NaN and -0 included", async () => {
  await initBackend();
  let seed = 1000;
  const special = [NaN, -0, 0, -Infinity, Infinity, 1];
  const withSpecials = (x: Input) => {
    // Every 7th value special: windows start with NaN, hold -0 beside +0, and so on.
    x.values = x.values.map((v, i) => i % 7 === 0 ? special[(i / 7) % special.length]! : v);
    return x;
  };
  const cases: [number[], number, number][] = [
    [[3, 24, 24, 20], 2, 2],
    [[2, 8, 8, 50], 2, 2],
    [[2, 9, 7, 6], 3, 2],
    [[1, 5, 5, 4], 2, 1],
  ];
  for (const [shape, filterSize, strides] of cases) {
    const x = withSpecials(input(shape, seed++));
    await assertSameAsXnnpack("MaxPool", { x }, { filterSize, strides, pad: "valid" });
    await assertSameAsXnnpack("Relu", { x }, {});
  }
  await assertSameAsXnnpack("Relu", { x: withSpecials(input([1027], seed++)) }, {});
});
