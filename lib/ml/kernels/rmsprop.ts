/**
 * `QuarryRMSProp`, a kernel of ours for the wasm backend: one fused RMSProp step (`simd_kernels.c`
 * `rmsprop`) in place of the eight element-wise kernels tfjs's optimizer runs per variable, each
 * of which allocates and walks a tensor of the variable's size. Every operation is rounded to
 * float in tfjs's order, so the new value, mean square and moment are the bits tfjs computes.
 * `lib/ml/rmsprop.ts` calls it where it is registered.
 *
 * @module
 */

import { type KernelConfig, type TensorInfo, util } from "@tensorflow/tfjs-core";
import { offsetOf, simdPool, type WasmBackend, wasmKernel } from "./wasm_util.ts";
import { splitVectors } from "./simd_pool.ts";

/** The kernel's name. */
export const QUARRY_RMSPROP = "QuarryRMSProp";

/** Inputs: a variable's value, its mean square and moment accumulators, and its gradient. */
export interface RMSPropInputs {
  value: TensorInfo;
  meanSquare: TensorInfo;
  moment: TensorInfo;
  gradient: TensorInfo;
}

/** Hyper-parameters, as tfjs's `RMSPropOptimizer` holds them. */
export interface RMSPropAttrs {
  learningRate: number;
  decay: number;
  momentum: number;
  epsilon: number;
}

function rmsprop(
  args: { inputs: RMSPropInputs; backend: unknown; attrs: unknown },
): TensorInfo[] {
  const backend = args.backend as WasmBackend;
  const { value, meanSquare, moment, gradient } = args.inputs;
  const attrs = args.attrs as unknown as RMSPropAttrs;
  const size = util.sizeFromShape(value.shape);
  for (const [name, t] of Object.entries(args.inputs)) {
    if (t.dtype !== "float32" || util.sizeFromShape(t.shape) !== size) {
      throw new TypeError(
        `lib/ml/kernels/rmsprop.ts: ${name} must be float32 of ${size} values like the value, ` +
          `got ${t.dtype} [${t.shape}]`,
      );
    }
  }
  const outs = [0, 1, 2].map(() => backend.makeOutput(value.shape.slice(), "float32"));
  const [v, ms, mom, g] = [value, meanSquare, moment, gradient].map((t) => offsetOf(backend, t));
  const [vOut, msOut, momOut] = outs.map((t) => offsetOf(backend, t));
  const pool = simdPool(backend);
  // Elements are independent: each thread takes a block (of whole SIMD vectors).
  pool.run(
    "rmsprop",
    splitVectors(size, pool.partsFor(3 * size)).map(([i0, i1]) => [
      v! + 4 * i0,
      ms! + 4 * i0,
      mom! + 4 * i0,
      g! + 4 * i0,
      vOut! + 4 * i0,
      msOut! + 4 * i0,
      momOut! + 4 * i0,
      i1 - i0,
      attrs.decay,
      // In double, then rounded to float (by the call), as tfjs's `mul(x, 1 - decay)` does.
      1 - attrs.decay,
      attrs.learningRate,
      attrs.momentum,
      attrs.epsilon,
    ]),
  );
  return outs;
}

/** Kernel config: `QuarryRMSProp` on `wasm`; outputs `[value, meanSquare, moment]`. */
export const rmspropConfig: KernelConfig = wasmKernel(QUARRY_RMSPROP, rmsprop);
