/** The embedded SIMD module: its interface, and (where clang-14 exists) that it is up to date. */

import assert from "node:assert/strict";
import { compileSimd, simdWasmSource } from "../../lib/ml/kernels/build_simd.ts";
import { SIMD_WASM_BASE64 } from "../../lib/ml/kernels/simd_wasm.ts";
import { simdKernels } from "../../lib/ml/kernels/simd.ts";

function decode(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (ch) => ch.charCodeAt(0));
}

Deno.test("the SIMD module imports only a memory and exports the kernels", () => {
  const module = new WebAssembly.Module(decode(SIMD_WASM_BASE64) as BufferSource);
  assert.deepEqual(
    WebAssembly.Module.imports(module).map((i) => `${i.module}.${i.name}:${i.kind}`),
    ["env.memory:memory"],
  );
  const exports = WebAssembly.Module.exports(module).map((e) => e.name).sort();
  assert.deepEqual(exports, [
    "add_bias",
    "col2im",
    "conv1_filter_grad",
    "conv1_forward",
    "conv1_pool_forward",
    "conv_forward",
    "gemm",
    "gemm_pack",
    "im2col_t",
    "max_pool",
    "max_pool_grad",
    "pad_nhwc",
    "relu",
    "relu_grad",
    "rmsprop",
    "sum_rows",
  ]);
});

Deno.test("rmsprop rounds every operation to float in tfjs's order (SIMD body and tail)", () => {
  const memory = new WebAssembly.Memory({ initial: 2 });
  const k = simdKernels(memory);
  const f = new Float32Array(memory.buffer);
  const n = 6; // one SIMD vector and a scalar tail of 2
  const v = Float32Array.of(0.5, -1.25, 3, 0, -0, 1e-3);
  const ms = Float32Array.of(0, 0.01, 2.5, 1e-9, 0, 7);
  const mom = Float32Array.of(0, 0.2, -0.1, 0, 1, -3);
  const g = Float32Array.of(0.1, -0.3, 0, 1e-4, -2, 1e3);
  [v, ms, mom, g].forEach((a, i) => f.set(a, i * 8));
  const [decay, lr, momentum, eps] = [0.9, 0.001, 0.5, 1e-7];
  k.rmsprop(0, 32, 64, 96, 128, 160, 192, n, decay, 1 - decay, lr, momentum, eps);
  const r = Math.fround;
  for (let i = 0; i < n; i++) {
    const msi = r(r(ms[i]! * r(decay)) + r(r(g[i]! * g[i]!) * r(1 - decay)));
    const step = r(r(g[i]! * r(lr)) / r(Math.sqrt(r(msi + r(eps)))));
    const momi = r(r(mom[i]! * r(momentum)) + step);
    assert.equal(f[40 + i], msi, `mean square ${i}`);
    assert.equal(f[48 + i], momi, `moment ${i}`);
    assert.ok(Object.is(f[32 + i], r(v[i]! - momi)), `value ${i}`);
  }
});

Deno.test("pad_nhwc pads with zeros on its own memory", () => {
  const memory = new WebAssembly.Memory({ initial: 2 });
  const k = simdKernels(memory);
  const f = new Float32Array(memory.buffer);
  f.set([1, 2, 3, 4], 0); // x [1, 2, 2, 1]
  f.fill(9, 16, 32);
  k.pad_nhwc(0, 64, 1, 2, 2, 1, 1, 0, 3, 3);
  assert.deepEqual(Array.from(f.subarray(16, 25)), [0, 0, 0, 1, 2, 0, 3, 4, 0]);
});

async function hasClang(): Promise<boolean> {
  try {
    return (await new Deno.Command("clang-14", { args: ["--version"], stdout: "null" }).output())
      .success;
  } catch {
    return false;
  }
}

Deno.test({
  name: "simd_wasm.ts is what build_simd.ts makes of simd_kernels.c",
  ignore: !(await hasClang()),
  fn: async () => {
    const bytes = await compileSimd();
    const shared = await compileSimd(true);
    const text = await Deno.readTextFile(
      new URL("../../lib/ml/kernels/simd_wasm.ts", import.meta.url),
    );
    assert.equal(
      text,
      simdWasmSource(bytes, shared),
      "rebuild: deno run -A lib/ml/kernels/build_simd.ts",
    );
  },
});
