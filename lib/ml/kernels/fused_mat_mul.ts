/**
 * `_FusedMatMul` (a dense layer's `act(x W + b)`) for the wasm backend by our SIMD {@link gemm},
 * with XNNPACK's bits: untransposed float32 products of rank 2, or rank 3 with one batch, a bias
 * `[n]` or none, relu or linear. Every other case goes to the stock kernel.
 *
 * @module
 */

import {
  _FusedMatMul,
  type _FusedMatMulAttrs,
  type KernelConfig,
  type TensorInfo,
} from "@tensorflow/tfjs-core";
import { gemm, gemmCovers } from "./gemm.ts";
import { runWasmKernel, type WasmBackend, wasmKernel } from "./wasm_util.ts";

/** `[m, k, n]` of an untransposed product of a single matrix pair, or null. */
export function singleProduct(a: TensorInfo, b: TensorInfo): [number, number, number] | null {
  if (a.dtype !== "float32" || b.dtype !== "float32") return null;
  const rank = a.shape.length;
  if (rank !== b.shape.length || (rank !== 2 && (rank !== 3 || a.shape[0] !== 1))) return null;
  if (rank === 3 && b.shape[0] !== 1) return null;
  const [m, k] = a.shape.slice(-2) as [number, number];
  const [k2, n] = b.shape.slice(-2) as [number, number];
  return k === k2 && gemmCovers(n) ? [m, k, n] : null;
}

function fusedMatMul(
  args: {
    inputs: { a: TensorInfo; b: TensorInfo; bias?: TensorInfo; preluActivationWeights?: unknown };
    backend: unknown;
    attrs: unknown;
  },
): TensorInfo {
  const backend = args.backend as WasmBackend;
  const { a, b, bias, preluActivationWeights } = args.inputs;
  const attrs = args.attrs as _FusedMatMulAttrs;
  const mkn = attrs.transposeA || attrs.transposeB ? null : singleProduct(a, b);
  const simple = attrs.activation === "linear" || attrs.activation === "relu";
  const biasOk = bias === undefined || bias === null ||
    (bias.dtype === "float32" && bias.shape.length === 1 && bias.shape[0] === mkn?.[2]);
  if (mkn === null || !simple || !biasOk || preluActivationWeights != null) {
    return runWasmKernel(backend, _FusedMatMul, args.inputs as never, attrs as never);
  }
  const shape = [...a.shape.slice(0, -1), mkn[2]];
  return gemm(backend, a, b, mkn, bias ?? undefined, attrs.activation === "relu", shape);
}

/** Kernel config: `_FusedMatMul` on `wasm`, replacing the stock one (which it calls otherwise). */
export const fusedMatMulConfig: KernelConfig = wasmKernel(_FusedMatMul, fusedMatMul);
