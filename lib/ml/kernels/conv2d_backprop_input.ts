/**
 * `Conv2DBackpropInput` for the wasm backend as a forward convolution on XNNPACK: for stride 1,
 * dx = conv2d(dy padded by (KH-1-top, KW-1-left), W flipped in space with in/out channels
 * swapped). The stock kernel is a scalar loop; other strides still go to it.
 *
 * @module
 */

import {
  backend_util,
  Conv2DBackpropInput,
  type Conv2DBackpropInputAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from "@tensorflow/tfjs-core";
import { f32View, release, runWasmKernel, type WasmBackend } from "./wasm_util.ts";

/**
 * Writes `w` [KH, KW, Cin, Cout] flipped in both spatial axes and with channels swapped into
 * `out` [KH, KW, Cout, Cin].
 */
export function flipTransposeFilter(
  w: Float32Array,
  out: Float32Array,
  shape: readonly [number, number, number, number],
): void {
  const [kh, kw, cin, cout] = shape;
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const src = ((kh - 1 - i) * kw + (kw - 1 - j)) * cin * cout;
      const dst = (i * kw + j) * cout * cin;
      for (let ci = 0; ci < cin; ci++) {
        for (let co = 0; co < cout; co++) {
          out[dst + co * cin + ci] = w[src + ci * cout + co] as number;
        }
      }
    }
  }
}

function conv2DBackpropInput(
  args: { inputs: { dy: TensorInfo; filter: TensorInfo }; backend: unknown; attrs: unknown },
): TensorInfo {
  const backend = args.backend as WasmBackend;
  const { dy, filter } = args.inputs;
  const attrs = args.attrs as Conv2DBackpropInputAttrs;
  const dataFormat = backend_util.convertConv2DDataFormat(attrs.dataFormat);
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
  if (
    info.strideHeight !== 1 || info.strideWidth !== 1 || dataFormat !== "channelsLast" ||
    dy.dtype !== "float32" || filter.dtype !== "float32"
  ) {
    return runWasmKernel(backend, Conv2DBackpropInput, { dy, filter }, attrs as never);
  }
  const { filterHeight: kh, filterWidth: kw, inChannels, outChannels } = info;
  const flipped = backend.makeOutput([kh, kw, outChannels, inChannels], "float32");
  flipTransposeFilter(
    f32View(backend, filter),
    f32View(backend, flipped),
    [kh, kw, inChannels, outChannels],
  );
  const top = kh - 1 - info.padInfo.top;
  const left = kw - 1 - info.padInfo.left;
  const bottom = info.inHeight - info.outHeight - top + kh - 1;
  const right = info.inWidth - info.outWidth - left + kw - 1;
  const dx = runWasmKernel(backend, "Conv2D", { x: dy, filter: flipped }, {
    strides: [1, 1],
    pad: [[0, 0], [top, bottom], [left, right], [0, 0]],
    dataFormat: "NHWC",
    dilations: [1, 1],
  } as never);
  release(backend, flipped);
  return dx;
}

/** Kernel config: `Conv2DBackpropInput` on `wasm`, replacing the stock one. */
export const conv2DBackpropInputConfig: KernelConfig = {
  kernelName: Conv2DBackpropInput,
  backendName: "wasm",
  kernelFunc: conv2DBackpropInput as unknown as KernelFunc,
};
