/**
 * `MaxPool` and `Relu` for the wasm backend as single SIMD passes (`simd_kernels.c` `max_pool`,
 * `relu`) split over our threads, with the stock kernels' bits (their handling of NaN and -0
 * included, tested): the stock ones run on XNNPACK's thread pool, whose threads spin for
 * milliseconds after each kernel and so slow the next kernel of ours on 2 threads. `MaxPool`
 * covers float32 NHWC without padding, 4 or more channels, windows of up to 9 values; other
 * cases go to the stock kernel.
 *
 * @module
 */

import {
  backend_util,
  type KernelConfig,
  MaxPool,
  type MaxPoolAttrs,
  Relu,
  type TensorInfo,
  util,
} from "@tensorflow/tfjs-core";
import { splitRange, splitVectors } from "./simd_pool.ts";
import { offsetOf, runWasmKernel, simdPool, type WasmBackend, wasmKernel } from "./wasm_util.ts";

function maxPool(
  args: { inputs: { x: TensorInfo }; backend: unknown; attrs: unknown },
): TensorInfo {
  const backend = args.backend as WasmBackend;
  const { x } = args.inputs;
  const attrs = args.attrs as MaxPoolAttrs;
  const stock = () => runWasmKernel(backend, MaxPool, { x }, attrs as never);
  if (x.dtype !== "float32" || x.shape.length !== 4 || (x.shape[3] as number) < 4) return stock();
  const info = backend_util.computePool2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const { top, left, bottom, right } = info.padInfo;
  if (top !== 0 || left !== 0 || bottom !== 0 || right !== 0) return stock();
  // Windows of up to 9 values: the stock kernel's one-pass form, which ours repeats.
  if (info.filterHeight * info.filterWidth > 9) return stock();
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight, outWidth } = info;
  const out = backend.makeOutput(info.outShape, "float32");
  const [x0, out0] = [offsetOf(backend, x), offsetOf(backend, out)];
  const pool = simdPool(backend);
  // Images are independent: each thread takes a block of them.
  pool.run(
    "max_pool",
    splitRange(n, pool.partsFor(util.sizeFromShape(x.shape))).map(([n0, n1]) => [
      x0 + 4 * n0 * h * w * c,
      out0 + 4 * n0 * outHeight * outWidth * c,
      n1 - n0,
      h,
      w,
      c,
      outHeight,
      outWidth,
      info.filterHeight,
      info.filterWidth,
      info.strideHeight,
      info.strideWidth,
    ]),
  );
  return out;
}

function relu(args: { inputs: { x: TensorInfo }; backend: unknown }): TensorInfo {
  const backend = args.backend as WasmBackend;
  const { x } = args.inputs;
  if (x.dtype !== "float32") return runWasmKernel(backend, Relu, { x }, {});
  const size = util.sizeFromShape(x.shape);
  const out = backend.makeOutput(x.shape.slice(), "float32");
  const [x0, out0] = [offsetOf(backend, x), offsetOf(backend, out)];
  const pool = simdPool(backend);
  pool.run(
    "relu",
    splitVectors(size, pool.partsFor(size)).map((
      [i0, i1],
    ) => [x0 + 4 * i0, out0 + 4 * i0, i1 - i0]),
  );
  return out;
}

/** Kernel config: `MaxPool` on `wasm`, replacing the stock one (which it calls for other cases). */
export const maxPoolConfig: KernelConfig = wasmKernel(MaxPool, maxPool);

/** Kernel config: `Relu` on `wasm`, replacing the stock one (which it calls for other dtypes). */
export const reluConfig: KernelConfig = wasmKernel(Relu, relu);
