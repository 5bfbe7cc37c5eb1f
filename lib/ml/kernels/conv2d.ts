/**
 * `Conv2D` and `FusedConv2D` for the wasm backend, in `simd_kernels.c`, bias and relu fused. With
 * one input channel (the first layer on grey images) XNNPACK's direct convolution reaches a third
 * of its usual speed, so `conv1_forward` computes it with SIMD over output channels. With more
 * channels and horizontal stride 1, `conv_forward` adds each output's products in XNNPACK's own
 * order (bias, then taps row-major, channels in order), so its bits are XNNPACK's, without the
 * padding of the output channels to XNNPACK's tile of 8 (50 channels cost 56) or the indirection
 * buffer. Every other case goes to the stock (XNNPACK) kernel.
 *
 * @module
 */

import {
  backend_util,
  Conv2D,
  type Conv2DAttrs,
  FusedConv2D,
  type FusedConv2DAttrs,
  type KernelConfig,
  type TensorInfo,
  util,
} from "@tensorflow/tfjs-core";
import {
  offsetOf,
  padImages,
  release,
  runWasmKernel,
  simdPool,
  type WasmBackend,
  wasmKernel,
} from "./wasm_util.ts";
import { splitRange } from "./simd_pool.ts";

/** The geometry when one of our kernels covers it, or null when the stock kernel must. */
export function simdConvInfo(
  x: TensorInfo,
  filter: TensorInfo,
  attrs: Conv2DAttrs,
): backend_util.Conv2DInfo | null {
  if (x.dtype !== "float32" || filter.dtype !== "float32" || x.shape.length !== 4) return null;
  const outChannels = filter.shape[3] as number;
  const oneChannel = x.shape[3] === 1 && outChannels % 4 === 0;
  if (!oneChannel && outChannels < 4) return null;
  const dataFormat = backend_util.convertConv2DDataFormat(attrs.dataFormat);
  if (dataFormat !== "channelsLast") return null;
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    attrs.strides,
    attrs.dilations,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    dataFormat,
  );
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) return null;
  return oneChannel || info.strideWidth === 1 ? info : null;
}

/**
 * The convolution by our kernels for a geometry {@linkcode simdConvInfo} accepted; with `pooled`
 * (relu only), its 2x2 max-pool with stride 2 ("valid") instead, in the same pass.
 */
export function simdConv(
  backend: WasmBackend,
  x: TensorInfo,
  filter: TensorInfo,
  bias: TensorInfo | undefined,
  relu: boolean,
  info: backend_util.Conv2DInfo,
  pooled = false,
): TensorInfo {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight, outWidth } = info;
  const { top, left } = info.padInfo;
  const hp = Math.max(h + top, (outHeight - 1) * info.strideHeight + info.filterHeight);
  const wp = Math.max(w + left, (outWidth - 1) * info.strideWidth + info.filterWidth);
  const pool = simdPool(backend);
  // Images are independent: each thread takes a block of them.
  const blocks = splitRange(n, pool.partsFor(util.sizeFromShape(info.outShape)));
  let source = x;
  if (hp !== h || wp !== w || top !== 0 || left !== 0) {
    source = backend.makeOutput([n, hp, wp, c], "float32");
    padImages(pool, offsetOf(backend, x), offsetOf(backend, source), [n, h, w, c], [
      top,
      left,
      hp,
      wp,
    ]);
  }
  const outShape = pooled
    ? [n, Math.floor(outHeight / 2), Math.floor(outWidth / 2), info.outChannels]
    : info.outShape;
  const out = backend.makeOutput(outShape, "float32");
  const outImage = util.sizeFromShape(outShape.slice(1));
  const [xp, filt, out0] = [
    offsetOf(backend, source),
    offsetOf(backend, filter),
    offsetOf(backend, out),
  ];
  const b = bias === undefined ? 0 : offsetOf(backend, bias);
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, outChannels: co } = info;
  const at = (
    n0: number,
  ) => [xp + 4 * n0 * hp * wp * c, filt, b, out0 + 4 * n0 * outImage];
  if (c === 1 && co % 4 === 0 && pooled && info.strideWidth === 1 && sh === 1) {
    pool.run(
      "conv1_pool_forward",
      blocks.map(([n0, n1]) => [...at(n0), n1 - n0, hp, wp, kh, kw, outHeight, outWidth, co]),
    );
  } else if (c === 1 && co % 4 === 0 && !pooled) {
    pool.run(
      "conv1_forward",
      blocks.map(([n0, n1]) => [
        ...at(n0),
        n1 - n0,
        hp,
        wp,
        kh,
        kw,
        outHeight,
        outWidth,
        sh,
        info.strideWidth,
        co,
        relu ? 1 : 0,
      ]),
    );
  } else {
    pool.run(
      "conv_forward",
      blocks.map((
        [n0, n1],
      ) => [
        ...at(n0),
        n1 - n0,
        hp,
        wp,
        c,
        kh,
        kw,
        outHeight,
        outWidth,
        sh,
        co,
        relu ? 1 : 0,
        pooled ? 1 : 0,
      ]),
    );
  }
  if (source !== x) release(backend, source);
  return out;
}

function conv2d(
  args: { inputs: { x: TensorInfo; filter: TensorInfo }; backend: unknown; attrs: unknown },
): TensorInfo {
  const backend = args.backend as WasmBackend;
  const { x, filter } = args.inputs;
  const attrs = args.attrs as Conv2DAttrs;
  const info = simdConvInfo(x, filter, attrs);
  if (info === null) return runWasmKernel(backend, Conv2D, { x, filter }, attrs as never);
  return simdConv(backend, x, filter, undefined, false, info);
}

function fusedConv2d(
  args: {
    inputs: {
      x: TensorInfo;
      filter: TensorInfo;
      bias?: TensorInfo;
      preluActivationWeights?: TensorInfo;
    };
    backend: unknown;
    attrs: unknown;
  },
): TensorInfo {
  const backend = args.backend as WasmBackend;
  const { x, filter, bias } = args.inputs;
  const attrs = args.attrs as FusedConv2DAttrs;
  const info = simdConvInfo(x, filter, attrs);
  const simple = attrs.activation === "linear" || attrs.activation === "relu";
  const biasOk = bias === undefined || bias === null ||
    (bias.dtype === "float32" && bias.shape.length === 1 && bias.shape[0] === filter.shape[3]);
  if (info === null || !simple || !biasOk) {
    return runWasmKernel(backend, FusedConv2D, args.inputs as never, attrs as never);
  }
  return simdConv(backend, x, filter, bias ?? undefined, attrs.activation === "relu", info);
}

/** Kernel config: `Conv2D` on `wasm`, replacing the stock one (which it calls for most cases). */
export const conv2DConfig: KernelConfig = wasmKernel(Conv2D, conv2d);

/** Kernel config: `FusedConv2D` on `wasm`, replacing the stock one (likewise). */
export const fusedConv2DConfig: KernelConfig = wasmKernel(FusedConv2D, fusedConv2d);
