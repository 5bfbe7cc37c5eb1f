/**
 * `Conv2DBackpropFilter` for the wasm backend (tfjs-backend-wasm ships none): the filter gradient
 * as one untransposed XNNPACK matMul of a transposed im2col matrix with `dy`.
 *
 * dW[kh, kw, ci, co] = sum over (n, oh, ow) of x[n, oh*sh + kh - top, ow*sw + kw - left, ci] *
 * dy[n, oh, ow, co], i.e. `cols [K, M] x dy [M, Cout]` with K = KH*KW*Cin rows and
 * M = N*OH*OW columns. `cols` is written in one SIMD pass (`simd_kernels.c` `im2col_t`, 4x4
 * register transposes) straight into the wasm heap.
 *
 * @module
 */

import { matMul } from "./gemm.ts";
import {
  backend_util,
  Conv2DBackpropFilter,
  type Conv2DBackpropFilterAttrs,
  type KernelConfig,
  type TensorInfo,
} from "@tensorflow/tfjs-core";
import {
  offsetOf,
  padImages,
  release,
  reshapeInfo,
  simdPool,
  type WasmBackend,
  wasmKernel,
} from "./wasm_util.ts";
import { splitRange } from "./simd_pool.ts";

/**
 * Writes the transposed im2col matrix ([KH*KW*Cin, N*OH*OW]) of `x` (NHWC, on the wasm heap)
 * into a new tensor. Pads a copy of `x` first when the convolution pads.
 */
export function im2colTransposed(
  backend: WasmBackend,
  x: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight, outWidth } = info;
  const { top, left } = info.padInfo;
  // Rows of the padded input that the windows reach (at least the input itself).
  const hp = Math.max(h + top, (outHeight - 1) * info.strideHeight + info.filterHeight);
  const wp = Math.max(w + left, (outWidth - 1) * info.strideWidth + info.filterWidth);
  const pool = simdPool(backend);
  let source = x;
  if (top !== 0 || left !== 0 || hp !== h || wp !== w) {
    source = backend.makeOutput([n, hp, wp, c], "float32");
    padImages(pool, offsetOf(backend, x), offsetOf(backend, source), [n, h, w, c], [
      top,
      left,
      hp,
      wp,
    ]);
  }
  const k = info.filterHeight * info.filterWidth * c;
  const m = n * outHeight * outWidth;
  const cols = backend.makeOutput([k, m], "float32");
  const [xp, cols0] = [offsetOf(backend, source), offsetOf(backend, cols)];
  // Filter taps are independent: with several parts, each part fills the rows of one tap
  // (kh, kw), as a 1x1 im2col of the input shifted to that tap.
  const taps = info.filterHeight * info.filterWidth;
  const call = (xpAt: number, colsAt: number, kh: number, kw: number) => [
    xpAt,
    colsAt,
    n,
    hp,
    wp,
    c,
    kh,
    kw,
    outHeight,
    outWidth,
    info.strideHeight,
    info.strideWidth,
  ];
  const parts = pool.partsFor(k * m) > 1
    ? Array.from({ length: taps }, (_, t) => {
      const [kh, kw] = [Math.floor(t / info.filterWidth), t % info.filterWidth];
      return call(xp + 4 * (kh * wp + kw) * c, cols0 + 4 * t * c * m, 1, 1);
    })
    : [call(xp, cols0, info.filterHeight, info.filterWidth)];
  pool.run("im2col_t", parts);
  if (source !== x) release(backend, source);
  return cols;
}

/**
 * One input channel (the first layer on grey images): im2col has only KH*KW rows, too few for a
 * good matMul, so `simd_kernels.c` `conv1_filter_grad` accumulates 5 taps x 8 channels in
 * registers instead.
 */
function oneChannelFilterGrad(
  backend: WasmBackend,
  x: TensorInfo,
  dy: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const { batchSize: n, inHeight: h, inWidth: w, outHeight, outWidth } = info;
  const { top, left } = info.padInfo;
  const hp = Math.max(h + top, (outHeight - 1) * info.strideHeight + info.filterHeight);
  const wp = Math.max(w + left, outWidth - 1 + info.filterWidth);
  const pool = simdPool(backend);
  // A padded copy with 4 spare floats at the end: taps are read five at a time.
  const xp = backend.makeOutput([n * hp * wp + 4], "float32");
  const xp0 = offsetOf(backend, xp);
  padImages(pool, offsetOf(backend, x), xp0, [n, h, w, 1], [top, left, hp, wp]);
  const dw = backend.makeOutput(info.filterShape, "float32");
  const [dy0, dw0] = [offsetOf(backend, dy), offsetOf(backend, dw)];
  // Filter rows are independent: each thread sums a block of them, in the same order.
  pool.run(
    "conv1_filter_grad",
    // Its work is the whole input times the filter width, per filter row.
    splitRange(info.filterHeight, pool.partsFor(n * hp * wp * info.filterWidth)).map((
      [kh0, kh1],
    ) => [
      xp0 + 4 * kh0 * wp,
      dy0,
      dw0 + 4 * kh0 * info.filterWidth * info.outChannels,
      n,
      hp,
      wp,
      kh1 - kh0,
      info.filterWidth,
      outHeight,
      outWidth,
      info.strideHeight,
      info.outChannels,
    ]),
  );
  release(backend, xp);
  return dw;
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
  if (info.inChannels === 1 && info.strideWidth === 1 && info.outChannels % 4 === 0) {
    return oneChannelFilterGrad(backend, x, dy, info);
  }
  const m = info.batchSize * info.outHeight * info.outWidth;
  const cols = im2colTransposed(backend, x, info);
  const dy2 = reshapeInfo(backend, dy, [m, info.outChannels]);
  const dw = matMul(backend, cols, dy2);
  release(backend, cols);
  release(backend, dy2);
  return { dataId: dw.dataId, shape: info.filterShape, dtype: "float32" };
}

/** Kernel config: `Conv2DBackpropFilter` on `wasm`. */
export const conv2DBackpropFilterConfig: KernelConfig = wasmKernel(
  Conv2DBackpropFilter,
  conv2DBackpropFilter,
);
