/**
 * `BatchMatMul` for the wasm backend that keeps transposed products on XNNPACK: the stock kernel
 * runs `transposeA`/`transposeB` products (the dense layers' gradients) as scalar loops, while an
 * explicit transpose is a cheap copy and the untransposed product runs on XNNPACK.
 *
 * @module
 */

import {
  BatchMatMul,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from "@tensorflow/tfjs-core";
import { release, runWasmKernel, type WasmBackend } from "./wasm_util.ts";

function transposeLast2(backend: WasmBackend, x: TensorInfo): TensorInfo {
  const rank = x.shape.length;
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return runWasmKernel(backend, "Transpose", { x }, { perm });
}

function batchMatMul(
  args: {
    inputs: { a: TensorInfo; b: TensorInfo };
    backend: unknown;
    attrs: { transposeA: boolean; transposeB: boolean };
  },
): TensorInfo {
  const backend = args.backend as WasmBackend;
  const { a, b } = args.inputs;
  const { transposeA, transposeB } = args.attrs;
  if (!transposeA && !transposeB) {
    return runWasmKernel(backend, BatchMatMul, { a, b }, { transposeA, transposeB });
  }
  const a2 = transposeA ? transposeLast2(backend, a) : a;
  const b2 = transposeB ? transposeLast2(backend, b) : b;
  const out = runWasmKernel(backend, BatchMatMul, { a: a2, b: b2 }, {
    transposeA: false,
    transposeB: false,
  });
  if (transposeA) release(backend, a2);
  if (transposeB) release(backend, b2);
  return out;
}

/** Kernel config: `BatchMatMul` on `wasm`, replacing the stock one. */
export const batchMatMulConfig: KernelConfig = {
  kernelName: BatchMatMul,
  backendName: "wasm",
  kernelFunc: batchMatMul as unknown as KernelFunc,
};
