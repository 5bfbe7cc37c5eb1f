/**
 * Kernels we add to (or replace in) the tfjs `wasm` backend so that training runs there, fast:
 * tfjs-backend-wasm has no `Conv2DBackpropFilter`, and several of its gradient kernels are scalar
 * loops. `Conv2DBackpropFilter` and `Conv2DBackpropInput` become one untransposed XNNPACK matMul
 * each plus a SIMD im2col / col2im (`simd_kernels.c`); `BatchMatMul` keeps transposed products on
 * XNNPACK; `MaxPoolGrad` and leading-axes `Sum` are single SIMD passes; one-channel `Conv2D` and
 * `FusedConv2D` (the first layer) are SIMD over output channels; a bias `Add` is one SIMD pass;
 * `Identity` shares its input's buffer instead of copying it. Two kernels of ours fuse tfjs op
 * chains with the same bits: `QuarryRMSProp` (used by `../rmsprop.ts`) and `QuarryReluGrad`
 * (registered as `Relu`'s gradient); `QuarryConvReluPool` (used by `../model.ts` to predict)
 * fuses a convolution layer with its max-pool. Replaced kernels still delegate the cases they do not cover
 * to the stock ones. Each is checked against the `cpu` backend in `tests/ml/kernels_test.ts`;
 * `wasm_threads.ts` makes tfjs's threaded build start in Deno, and `simd_pool.ts` splits our SIMD
 * helpers over the same number of threads.
 *
 * @module
 */

import {
  getGradient,
  getKernel,
  type KernelConfig,
  registerGradient,
  registerKernel,
  unregisterKernel,
} from "@tensorflow/tfjs-core";
import { batchMatMulConfig } from "./batch_mat_mul.ts";
import { conv2DConfig, fusedConv2DConfig } from "./conv2d.ts";
import { convReluPoolConfig } from "./conv_pool.ts";
import { fusedMatMulConfig } from "./fused_mat_mul.ts";
import { conv2DBackpropFilterConfig } from "./conv2d_backprop_filter.ts";
import { conv2DBackpropInputConfig } from "./conv2d_backprop_input.ts";
import { identityConfig } from "./identity.ts";
import { addConfig } from "./add.ts";
import { reluGradConfig, reluGradKernelConfig } from "./relu_grad.ts";
import { maxPoolGradConfig } from "./max_pool_grad.ts";
import { maxPoolConfig, reluConfig } from "./max_pool.ts";
import { rmspropConfig } from "./rmsprop.ts";
import { sumConfig } from "./sum.ts";
import { rememberStockKernel } from "./wasm_util.ts";

/** Every kernel config this folder provides, for the `wasm` backend. */
export const WASM_KERNELS: readonly KernelConfig[] = [
  batchMatMulConfig,
  conv2DConfig,
  fusedConv2DConfig,
  fusedMatMulConfig,
  identityConfig,
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
  maxPoolGradConfig,
  sumConfig,
  rmspropConfig,
  addConfig,
  convReluPoolConfig,
  reluGradKernelConfig,
  maxPoolConfig,
  reluConfig,
];

/**
 * Registers {@link WASM_KERNELS} for the `wasm` backend, replacing any stock kernel of the same
 * name. Idempotent. Returns the kernel names.
 */
export function registerWasmKernels(): string[] {
  for (const config of WASM_KERNELS) {
    const current = getKernel(config.kernelName, config.backendName);
    if (current?.kernelFunc === config.kernelFunc) continue;
    if (current === undefined) {
      registerKernel(config);
      continue;
    }
    // The stock kernel's setup (its cwrap of the C++ function) still has to run when the backend
    // starts, since ours may delegate to it.
    rememberStockKernel(current);
    unregisterKernel(config.kernelName, config.backendName);
    registerKernel({ ...config, setupFunc: current.setupFunc, disposeFunc: current.disposeFunc });
  }
  // Relu's gradient calls QuarryReluGrad where the backend has it (same bits as tfjs's formula).
  if (getGradient(reluGradConfig.kernelName) !== reluGradConfig) registerGradient(reluGradConfig);
  return WASM_KERNELS.map((c) => c.kernelName);
}
