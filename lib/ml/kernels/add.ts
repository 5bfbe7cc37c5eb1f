/**
 * `Add` for the wasm backend when it adds a bias: `a [..., C] + b [C]`, float32 (each layer's
 * bias in training, where tfjs does not fuse it into the convolution). One SIMD pass split over
 * the wasm threads (`simd_kernels.c` `add_bias`), one float addition per element as in the stock
 * kernel, which handles every other case.
 *
 * @module
 */

import { Add, type KernelConfig, type TensorInfo, util } from "@tensorflow/tfjs-core";
import { offsetOf, runWasmKernel, simdPool, type WasmBackend, wasmKernel } from "./wasm_util.ts";
import { splitRange } from "./simd_pool.ts";

function add(
  args: { inputs: { a: TensorInfo; b: TensorInfo }; backend: unknown; attrs: unknown },
): TensorInfo {
  const backend = args.backend as WasmBackend;
  const { a, b } = args.inputs;
  const channels = a.shape.at(-1);
  const bias = a.dtype === "float32" && b.dtype === "float32" && a.shape.length >= 2 &&
    b.shape.length === 1 && b.shape[0] === channels;
  if (!bias || channels === undefined) return runWasmKernel(backend, Add, { a, b }, {});
  const rows = util.sizeFromShape(a.shape) / channels;
  const out = backend.makeOutput(a.shape.slice(), "float32");
  const [a0, b0, out0] = [offsetOf(backend, a), offsetOf(backend, b), offsetOf(backend, out)];
  const pool = simdPool(backend);
  // Rows are independent: each thread takes a block of them.
  pool.run(
    "add_bias",
    splitRange(rows, pool.partsFor(rows * channels)).map(([r0, r1]) => [
      a0 + 4 * r0 * channels,
      b0,
      out0 + 4 * r0 * channels,
      r1 - r0,
      channels,
    ]),
  );
  return out;
}

/** Kernel config: `Add` on `wasm`, replacing the stock one (which it calls for other cases). */
export const addConfig: KernelConfig = wasmKernel(Add, add);
