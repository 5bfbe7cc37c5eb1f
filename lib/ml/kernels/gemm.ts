/**
 * Matrix products on the wasm backend by `simd_kernels.c` `gemm`: each output is its bias (or 0)
 * plus the products added one at a time in k order, which is XNNPACK's order, so the bits are
 * those of tfjs's stock `BatchMatMul` and `_FusedMatMul`. Faster than XNNPACK's on our shapes:
 * the right operand is packed into 4-column panels (about 1 ns per element instead of XNNPACK's
 * 9 for a new weight tensor) and rows go in chunks that stay in cache while every panel passes.
 *
 * @module
 */

import type { TensorInfo } from "@tensorflow/tfjs-core";
import { splitRange } from "./simd_pool.ts";
import {
  offsetOf,
  release,
  reshapeInfo,
  runWasmKernel,
  simdPool,
  type WasmBackend,
} from "./wasm_util.ts";

/** Whether {@linkcode gemm} covers a product with `n` output columns (it needs 4 or more). */
export function gemmCovers(n: number): boolean {
  return n >= 4;
}

/**
 * `act(bias + a [m, k] x b [k, n])` as a new tensor of shape `outShape` (default `[m, n]`; `a`
 * and `b` row-major float32 of any shape of that size; `bias` `[n]` or undefined; relu or
 * linear). Needs `n >= 4`. Rows go to the pool's threads in blocks: the same bits for any thread
 * count.
 */
export function gemm(
  backend: WasmBackend,
  a: TensorInfo,
  b: TensorInfo,
  [m, k, n]: readonly [number, number, number],
  bias: TensorInfo | undefined,
  relu: boolean,
  outShape: number[] = [m, n],
): TensorInfo {
  const panels = Math.ceil(n / 4);
  const packed = backend.makeOutput([panels * 4 * k], "float32");
  const out = backend.makeOutput(outShape, "float32");
  const [a0, b0, p0, out0] = [a, b, packed, out].map((t) => offsetOf(backend, t)) as number[];
  const pool = simdPool(backend);
  pool.run(
    "gemm_pack",
    splitRange(panels, pool.partsFor(k * n)).map(([q0, q1]) => [b0!, p0!, k, n, q0, q1]),
  );
  const bias0 = bias === undefined ? 0 : offsetOf(backend, bias);
  pool.run(
    "gemm",
    // Parts sized by the work (m n k), not the output alone: a long product with a small
    // output (a filter gradient) still fills every thread.
    splitRange(Math.ceil(m / 4), pool.partsFor((m * n * k) / 16)).map(([q0, q1]) => {
      const rows = Math.min(m, 4 * q1) - 4 * q0;
      return [a0! + 16 * q0 * k, p0!, bias0, out0! + 16 * q0 * n, rows, k, n, relu ? 1 : 0];
    }),
  );
  release(backend, packed);
  return out;
}

/**
 * Untransposed matMul `a [m, k]` x `b [k, n]` on the wasm backend: {@linkcode gemm} where it
 * covers the shapes, else XNNPACK's (the same bits either way).
 */
export function matMul(backend: WasmBackend, a: TensorInfo, b: TensorInfo): TensorInfo {
  const [m, k] = a.shape as [number, number];
  const n = b.shape[1] as number;
  if (gemmCovers(n)) return gemm(backend, a, b, [m, k, n], undefined, false);
  const a3 = reshapeInfo(backend, a, [1, m, k]);
  const b3 = reshapeInfo(backend, b, [1, k, n]);
  const out = runWasmKernel(backend, "BatchMatMul", { a: a3, b: b3 }, {
    transposeA: false,
    transposeB: false,
  });
  release(backend, a3);
  release(backend, b3);
  return { dataId: out.dataId, shape: [m, n], dtype: out.dtype };
}
