/**
 * `MaxPoolGrad` for the wasm backend: one pass over the pooling windows that routes each `dy`
 * value to its window's first maximum (row-major, as the cpu backend does; `simd_kernels.c`
 * `max_pool_grad`), instead of the stock kernel's scan of every window for every input pixel.
 *
 * @module
 */

import {
  backend_util,
  type KernelConfig,
  MaxPoolGrad,
  type MaxPoolGradAttrs,
  type TensorInfo,
  util,
} from "@tensorflow/tfjs-core";
import { offsetOf, simdPool, type WasmBackend, wasmKernel } from "./wasm_util.ts";
import { splitRange } from "./simd_pool.ts";

function maxPoolGrad(
  args: {
    inputs: { dy: TensorInfo; input: TensorInfo; output: TensorInfo };
    backend: unknown;
    attrs: unknown;
  },
): TensorInfo {
  const backend = args.backend as WasmBackend;
  const { dy, input } = args.inputs;
  const attrs = args.attrs as MaxPoolGradAttrs;
  if (dy.dtype !== "float32" || input.dtype !== "float32") {
    throw new TypeError(
      `lib/ml/kernels/max_pool_grad.ts: expected float32 inputs, got ${dy.dtype} and ${input.dtype}`,
    );
  }
  const info = backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const dx = backend.makeOutput(input.shape, "float32");
  // Images are independent: each thread takes a block of them.
  const [x0, dy0, dx0] = [offsetOf(backend, input), offsetOf(backend, dy), offsetOf(backend, dx)];
  const pool = simdPool(backend);
  const imageX = 4 * info.inHeight * info.inWidth * info.inChannels;
  const imageDy = 4 * info.outHeight * info.outWidth * info.inChannels;
  pool.run(
    "max_pool_grad",
    splitRange(info.batchSize, pool.partsFor(util.sizeFromShape(input.shape))).map(([n0, n1]) => [
      x0 + n0 * imageX,
      dy0 + n0 * imageDy,
      dx0 + n0 * imageX,
      n1 - n0,
      info.inHeight,
      info.inWidth,
      info.inChannels,
      info.outHeight,
      info.outWidth,
      info.filterHeight,
      info.filterWidth,
      info.strideHeight,
      info.strideWidth,
      info.padInfo.top,
      info.padInfo.left,
    ]),
  );
  return dx;
}

/** Kernel config: `MaxPoolGrad` on `wasm`, replacing the stock one. */
export const maxPoolGradConfig: KernelConfig = wasmKernel(MaxPoolGrad, maxPoolGrad);
