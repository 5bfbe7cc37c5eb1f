/**
 * `QuarryConvReluPool` ({@linkcode CONV_RELU_POOL}) on the wasm backend: a convolution layer of
 * prediction in one pass. `simd_kernels.c` `conv_forward` computes each 2x2 pooling window's four
 * convolution outputs (bias, relu, XNNPACK's order) and stores their maximum, so the full-size
 * activation is never written and read back, and no `MaxPool` kernel runs; the bits are those of
 * `FusedConv2D` then `MaxPool` (for finite inputs and weights: a NaN convolution output may pool
 * differently), which it runs instead where our kernel does not cover the shapes.
 *
 * @module
 */

import { FusedConv2D, type KernelConfig, MaxPool, type TensorInfo } from "@tensorflow/tfjs-core";
import { simdConv, simdConvInfo } from "./conv2d.ts";
import { CONV_RELU_POOL } from "./names.ts";
import { release, runWasmKernel, type WasmBackend, wasmKernel } from "./wasm_util.ts";

const CONV = { strides: [1, 1], pad: "valid", dataFormat: "NHWC", dilations: [1, 1] } as const;

function convReluPool(
  args: {
    inputs: { x: TensorInfo; filter: TensorInfo; bias: TensorInfo };
    backend: unknown;
  },
): TensorInfo {
  const backend = args.backend as WasmBackend;
  const { x, filter, bias } = args.inputs;
  const info = simdConvInfo(x, filter, CONV as never);
  const biasOk = bias.dtype === "float32" && bias.shape.length === 1 &&
    bias.shape[0] === filter.shape[3];
  if (info !== null && info.strideWidth === 1 && biasOk) {
    return simdConv(backend, x, filter, bias, true, info, true);
  }
  const conv = runWasmKernel(backend, FusedConv2D, { x, filter, bias }, {
    ...CONV,
    activation: "relu",
  } as never);
  const out = runWasmKernel(backend, MaxPool, { x: conv }, {
    filterSize: 2,
    strides: 2,
    pad: "valid",
  } as never);
  release(backend, conv);
  return out;
}

/** Kernel config: `QuarryConvReluPool` on `wasm`. */
export const convReluPoolConfig: KernelConfig = wasmKernel(CONV_RELU_POOL, convReluPool);
