/**
 * `BatchMatMul` for the wasm backend that keeps transposed products off scalar loops: the stock
 * kernel runs `transposeA`/`transposeB` products (the dense layers' gradients) that way, while an
 * explicit transpose is a cheap copy and the untransposed product runs on our SIMD gemm
 * (`gemm.ts`, XNNPACK's bits) or, for the shapes it does not cover, on XNNPACK.
 *
 * @module
 */

import { BatchMatMul, type KernelConfig, type TensorInfo } from "@tensorflow/tfjs-core";
import { gemm } from "./gemm.ts";
import { singleProduct } from "./fused_mat_mul.ts";
import { release, runWasmKernel, type WasmBackend, wasmKernel } from "./wasm_util.ts";

function transposeLast2(backend: WasmBackend, x: TensorInfo): TensorInfo {
  const rank = x.shape.length;
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return runWasmKernel(backend, "Transpose", { x }, { perm });
}

/** The untransposed product: our gemm where it covers it (XNNPACK's bits), else the stock kernel. */
function untransposed(backend: WasmBackend, a: TensorInfo, b: TensorInfo): TensorInfo {
  const mkn = singleProduct(a, b);
  if (mkn !== null) {
    return gemm(backend, a, b, mkn, undefined, false, [...a.shape.slice(0, -1), mkn[2]]);
  }
  return runWasmKernel(backend, BatchMatMul, { a, b }, { transposeA: false, transposeB: false });
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
  const plain = a.shape.length === 2 && b.shape.length === 2;
  if (!transposeA && !transposeB) {
    const [m, k] = a.shape as [number, number];
    const n = b.shape[1] as number;
    // XNNPACK repacks the right operand whenever it is a new tensor (in training, the weights
    // after every step) at about 9 ns per element; a transpose costs about 2.5. When the right
    // operand is the large one, (B^T A^T)^T is cheaper. The choice depends on shapes only, so
    // results do not depend on what ran before.
    if (plain && singleProduct(a, b) === null && 6.5 * k * n > 2.5 * m * n + 11.5 * m * k) {
      const bT = transposeLast2(backend, b);
      const aT = transposeLast2(backend, a);
      const outT = untransposed(backend, bT, aT);
      release(backend, bT);
      release(backend, aT);
      const out = transposeLast2(backend, outT);
      release(backend, outT);
      return out;
    }
    return untransposed(backend, a, b);
  }
  if (plain) {
    // op(A) [m, k] x op(B) [k, n]. Either transpose the transposed operands, or compute
    // (op(B)^T op(A)^T)^T, transposing the others and the [n, m] result: whichever moves fewer
    // elements (the right operand is also repacked by XNNPACK, so it counts twice).
    const [m, k] = transposeA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
    const n = transposeB ? b.shape[0]! : b.shape[1]!;
    const direct = (transposeA ? m * k : 0) + (transposeB ? 2 * k * n : k * n);
    const swapped = (transposeB ? 0 : k * n) + (transposeA ? 2 * m * k : m * k) + m * n;
    if (swapped < direct) {
      // op(B)^T is B itself when transposeB, op(A)^T is A itself when transposeA.
      const left = transposeB ? b : transposeLast2(backend, b);
      const right = transposeA ? a : transposeLast2(backend, a);
      const outT = untransposed(backend, left, right);
      if (!transposeB) release(backend, left);
      if (!transposeA) release(backend, right);
      const out = transposeLast2(backend, outT);
      release(backend, outT);
      return out;
    }
  }
  const a2 = transposeA ? transposeLast2(backend, a) : a;
  const b2 = transposeB ? transposeLast2(backend, b) : b;
  const out = untransposed(backend, a2, b2);
  if (transposeA) release(backend, a2);
  if (transposeB) release(backend, b2);
  return out;
}

/** Kernel config: `BatchMatMul` on `wasm`, replacing the stock one. */
export const batchMatMulConfig: KernelConfig = wasmKernel(BatchMatMul, batchMatMul);
