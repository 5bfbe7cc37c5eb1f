/**
 * `Conv2DBackpropInput` for the wasm backend as one untransposed XNNPACK matMul and a col2im:
 * dcols [M, KH*KW*Cin] = dy [M, Cout] x W^T [Cout, KH*KW*Cin], then every row of dcols is added
 * back into the pixels its window covers (`simd_kernels.c` `col2im`). The stock kernel is a
 * scalar loop; a forward convolution of the padded `dy` wastes its work on the zero padding.
 *
 * @module
 */

import { matMul } from "./gemm.ts";
import {
  backend_util,
  Conv2DBackpropInput,
  type Conv2DBackpropInputAttrs,
  type KernelConfig,
  type TensorInfo,
} from "@tensorflow/tfjs-core";
import {
  offsetOf,
  release,
  reshapeInfo,
  runWasmKernel,
  simdPool,
  type WasmBackend,
  wasmKernel,
} from "./wasm_util.ts";
import { splitRange } from "./simd_pool.ts";

function conv2DBackpropInput(
  args: { inputs: { dy: TensorInfo; filter: TensorInfo }; backend: unknown; attrs: unknown },
): TensorInfo {
  const backend = args.backend as WasmBackend;
  const { dy, filter } = args.inputs;
  const attrs = args.attrs as Conv2DBackpropInputAttrs;
  const dataFormat = backend_util.convertConv2DDataFormat(attrs.dataFormat);
  if (dataFormat !== "channelsLast" || dy.dtype !== "float32" || filter.dtype !== "float32") {
    return runWasmKernel(backend, Conv2DBackpropInput, { dy, filter }, attrs as never);
  }
  const info = backend_util.computeConv2DInfo(
    attrs.inputShape,
    filter.shape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    dataFormat,
  );
  const { filterHeight: kh, filterWidth: kw, inChannels, outChannels } = info;
  const k = kh * kw * inChannels;
  const m = info.batchSize * info.outHeight * info.outWidth;
  const w2 = reshapeInfo(backend, filter, [k, outChannels]);
  const wT = runWasmKernel(backend, "Transpose", { x: w2 }, { perm: [1, 0] });
  release(backend, w2);
  const dy2 = reshapeInfo(backend, dy, [m, outChannels]);
  const dcols = matMul(backend, dy2, wT);
  release(backend, dy2);
  release(backend, wT);
  const dx = backend.makeOutput(attrs.inputShape, "float32");
  // Images are independent: each thread takes a block of them.
  const cols = offsetOf(backend, dcols);
  const out = offsetOf(backend, dx);
  const pool = simdPool(backend);
  const imageCols = 4 * info.outHeight * info.outWidth * k;
  const imageDx = 4 * info.inHeight * info.inWidth * inChannels;
  pool.run(
    "col2im",
    splitRange(info.batchSize, pool.partsFor(m * k)).map(([n0, n1]) => [
      cols + n0 * imageCols,
      out + n0 * imageDx,
      n1 - n0,
      info.inHeight,
      info.inWidth,
      inChannels,
      kh,
      kw,
      info.outHeight,
      info.outWidth,
      info.strideHeight,
      info.strideWidth,
      info.padInfo.top,
      info.padInfo.left,
    ]),
  );
  release(backend, dcols);
  return dx;
}

/** Kernel config: `Conv2DBackpropInput` on `wasm`, replacing the stock one. */
export const conv2DBackpropInputConfig: KernelConfig = wasmKernel(
  Conv2DBackpropInput,
  conv2DBackpropInput,
);
