/**
 * `Conv2DBackpropFilter` for the wasm backend (tfjs-backend-wasm ships none): the filter gradient
 * as one untransposed XNNPACK matMul of a transposed im2col matrix with `dy`.
 *
 * dW[kh, kw, ci, co] = sum over (n, oh, ow) of x[n, oh*sh + kh - top, ow*sw + kw - left, ci] *
 * dy[n, oh, ow, co], i.e. `cols [K, M] x dy [M, Cout]` with K = KH*KW*Cin rows and
 * M = N*OH*OW columns, written in a single pass straight into the wasm heap.
 *
 * @module
 */

import {
  backend_util,
  Conv2DBackpropFilter,
  type Conv2DBackpropFilterAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from "@tensorflow/tfjs-core";
import { f32View, matMul, release, reshapeInfo, type WasmBackend } from "./wasm_util.ts";

/** Geometry of one convolution, as computed by tfjs. */
type ConvInfo = backend_util.Conv2DInfo;

/**
 * Writes the transposed im2col matrix of `x` (NHWC) into `cols` ([KH*KW*Cin, N*OH*OW],
 * row-major), zeros where the window falls into the padding.
 */
export function im2colTransposed(x: Float32Array, cols: Float32Array, info: ConvInfo): void {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth } = info;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const { filterHeight, filterWidth } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const m = batchSize * outHeight * outWidth;
  const rowStrideX = inWidth * inChannels;
  const imageStrideX = inHeight * rowStrideX;
  let row = 0;
  for (let kh = 0; kh < filterHeight; kh++) {
    for (let kw = 0; kw < filterWidth; kw++) {
      const colOffset = kw * dw - left;
      // Output columns whose input column lies inside the image.
      const owMin = Math.min(outWidth, Math.max(0, Math.ceil(-colOffset / sw)));
      const owMax = Math.max(owMin, Math.min(outWidth, Math.ceil((inWidth - colOffset) / sw)));
      for (let ci = 0; ci < inChannels; ci++, row++) {
        let o = row * m;
        for (let n = 0; n < batchSize; n++) {
          const imageBase = n * imageStrideX + ci;
          for (let oh = 0; oh < outHeight; oh++) {
            const ih = oh * sh + kh * dh - top;
            if (ih < 0 || ih >= inHeight) {
              cols.fill(0, o, o + outWidth);
              o += outWidth;
              continue;
            }
            const base = imageBase + ih * rowStrideX;
            let ow = 0;
            for (; ow < owMin; ow++) cols[o++] = 0;
            let src = base + (owMin * sw + colOffset) * inChannels;
            const step = sw * inChannels;
            for (; ow < owMax; ow++, src += step) cols[o++] = x[src] as number;
            for (; ow < outWidth; ow++) cols[o++] = 0;
          }
        }
      }
    }
  }
}

function conv2DBackpropFilter(
  args: { inputs: { x: TensorInfo; dy: TensorInfo }; backend: unknown; attrs: unknown },
): TensorInfo {
  const backend = args.backend as WasmBackend;
  const { x, dy } = args.inputs;
  const attrs = args.attrs as Conv2DBackpropFilterAttrs;
  if (x.dtype !== "float32" || dy.dtype !== "float32") {
    throw new TypeError(
      `lib/ml/kernels/conv2d_backprop_filter.ts: expected float32 inputs, got ${x.dtype} and ${dy.dtype}`,
    );
  }
  const dataFormat = backend_util.convertConv2DDataFormat(attrs.dataFormat);
  if (dataFormat !== "channelsLast") {
    throw new TypeError(
      `lib/ml/kernels/conv2d_backprop_filter.ts: expected dataFormat "NHWC", got "${attrs.dataFormat}"`,
    );
  }
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    dataFormat,
  );
  const k = info.filterHeight * info.filterWidth * info.inChannels;
  const m = info.batchSize * info.outHeight * info.outWidth;
  const cols = backend.makeOutput([k, m], "float32");
  im2colTransposed(f32View(backend, x), f32View(backend, cols), info);
  const dy2 = reshapeInfo(backend, dy, [m, info.outChannels]);
  const dw = matMul(backend, cols, dy2);
  release(backend, cols);
  release(backend, dy2);
  return { dataId: dw.dataId, shape: info.filterShape, dtype: "float32" };
}

/** Kernel config: `Conv2DBackpropFilter` on `wasm`. */
export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: "wasm",
  kernelFunc: conv2DBackpropFilter as unknown as KernelFunc,
};
