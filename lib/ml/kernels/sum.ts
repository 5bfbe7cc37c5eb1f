/**
 * `Sum` for the wasm backend when the reduced axes are the leading ones (a bias gradient: sum of
 * `[n, h, w, c]` over n, h, w): SIMD column sums in double precision (`simd_kernels.c`
 * `sum_rows`). The stock kernel first transposes the reduced axes to the end, which costs more
 * than the sum. Other reductions go to the stock kernel.
 *
 * @module
 */

import {
  backend_util,
  type KernelConfig,
  Sum,
  type SumAttrs,
  type TensorInfo,
  util,
} from "@tensorflow/tfjs-core";
import { offsetOf, runWasmKernel, simd, type WasmBackend, wasmKernel } from "./wasm_util.ts";

function sum(
  args: { inputs: { x: TensorInfo }; backend: unknown; attrs: unknown },
): TensorInfo {
  const backend = args.backend as WasmBackend;
  const { x } = args.inputs;
  const attrs = args.attrs as SumAttrs;
  const axes = util.parseAxisParam(attrs.axis, x.shape).sort((a, b) => a - b);
  const leading = axes.length > 0 && axes.length < x.shape.length &&
    axes.every((a, i) => a === i);
  if (!leading || x.dtype !== "float32") {
    return runWasmKernel(backend, Sum, { x }, attrs as never);
  }
  const outShape = x.shape.slice(axes.length);
  const cols = util.sizeFromShape(outShape);
  const rows = util.sizeFromShape(x.shape.slice(0, axes.length));
  const out = backend.makeOutput(
    attrs.keepDims ? backend_util.expandShapeToKeepDim(outShape, axes) : outShape,
    "float32",
  );
  simd(backend).sum_rows(offsetOf(backend, x), offsetOf(backend, out), rows, cols);
  return out;
}

/** Kernel config: `Sum` on `wasm`, replacing the stock one (which it calls for other cases). */
export const sumConfig: KernelConfig = wasmKernel(Sum, sum);
