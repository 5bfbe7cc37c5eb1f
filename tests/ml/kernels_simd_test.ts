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
    "col2im",
    "conv1_filter_grad",
    "conv1_forward",
    "im2col_t",
    "max_pool_grad",
    "pad_nhwc",
    "sum_rows",
  ]);
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
