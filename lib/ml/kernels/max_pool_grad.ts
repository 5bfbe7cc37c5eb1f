/**
 * `MaxPoolGrad` for the wasm backend: one pass over the pooling windows that routes each `dy`
 * value to its window's first maximum (row-major, as the cpu backend does), instead of the stock
 * kernel's scan of every window for every input pixel.
 *
 * @module
 */

import {
  backend_util,
  type KernelConfig,
  type KernelFunc,
  MaxPoolGrad,
  type MaxPoolGradAttrs,
  type TensorInfo,
} from "@tensorflow/tfjs-core";
import { f32View, type WasmBackend } from "./wasm_util.ts";

/**
 * Adds `dy` into `dx` (zeroed here) at the first maximum of `x` in each pooling window;
 * NHWC layouts, geometry from `info`.
 */
export function maxPoolBackprop(
  x: Float32Array,
  dy: Float32Array,
  dx: Float32Array,
  info: backend_util.Conv2DInfo,
): void {
  const { batchSize, inHeight, inWidth, inChannels: c, outHeight, outWidth } = info;
  const { strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
  const { effectiveFilterHeight, effectiveFilterWidth } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const best = new Float32Array(c);
  const where = new Int32Array(c);
  dx.fill(0);
  let o = 0;
  for (let b = 0; b < batchSize; b++) {
    const image = b * inHeight * inWidth * c;
    for (let oh = 0; oh < outHeight; oh++) {
      const rowCorner = oh * strideHeight - top;
      let rowMin = rowCorner;
      while (rowMin < 0) rowMin += dilationHeight;
      const rowMax = Math.min(inHeight, rowCorner + effectiveFilterHeight);
      for (let ow = 0; ow < outWidth; ow++, o += c) {
        const colCorner = ow * strideWidth - left;
        let colMin = colCorner;
        while (colMin < 0) colMin += dilationWidth;
        const colMax = Math.min(inWidth, colCorner + effectiveFilterWidth);
        best.fill(Number.NEGATIVE_INFINITY);
        where.fill(-1);
        for (let r = rowMin; r < rowMax; r += dilationHeight) {
          for (let col = colMin; col < colMax; col += dilationWidth) {
            const base = image + (r * inWidth + col) * c;
            for (let d = 0; d < c; d++) {
              const v = x[base + d] as number;
              if (v > (best[d] as number)) {
                best[d] = v;
                where[d] = base + d;
              }
            }
          }
        }
        for (let d = 0; d < c; d++) {
          const i = where[d] as number;
          if (i >= 0) dx[i] = (dx[i] as number) + (dy[o + d] as number);
        }
      }
    }
  }
}

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
  maxPoolBackprop(f32View(backend, input), f32View(backend, dy), f32View(backend, dx), info);
  return dx;
}

/** Kernel config: `MaxPoolGrad` on `wasm`, replacing the stock one. */
export const maxPoolGradConfig: KernelConfig = {
  kernelName: MaxPoolGrad,
  backendName: "wasm",
  kernelFunc: maxPoolGrad as unknown as KernelFunc,
};
