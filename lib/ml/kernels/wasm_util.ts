/**
 * Helpers for kernels that run on the tfjs `wasm` backend: tensor offsets in the wasm heap, the
 * SIMD helper module on that heap, and calls into the backend's own (XNNPACK) kernels.
 *
 * @module
 */

import {
  type DataType,
  getKernel,
  type KernelConfig,
  type KernelFunc,
  type NamedAttrMap,
  type TensorInfo,
} from "@tensorflow/tfjs-core";
import { getThreadsCount } from "@tensorflow/tfjs-backend-wasm";
import { type SimdKernels, simdKernels, simdModule } from "./simd.ts";
import { createSimdPool, serialPool, type SimdPool, splitRange } from "./simd_pool.ts";

/** The parts of tfjs-backend-wasm's `BackendWasm` that our kernels use. */
export interface WasmBackend {
  wasm: {
    HEAPU8: Uint8Array;
    asm?: { memory?: WebAssembly.Memory };
    wasmMemory?: WebAssembly.Memory;
  };
  dataIdMap: { get(dataId: object): { id: number; memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
  incRef(dataId: object): void;
}

/** Byte offset of a tensor's data in the wasm heap. */
export function offsetOf(backend: WasmBackend, info: TensorInfo): number {
  const data = backend.dataIdMap.get(info.dataId);
  if (data === undefined) {
    throw new TypeError("lib/ml/kernels: tensor is not on the wasm backend");
  }
  return data.memoryOffset;
}

function memoryOf(backend: WasmBackend): WebAssembly.Memory {
  // The single-threaded build exports its memory; the threaded one creates it in JS.
  const memory = backend.wasm.asm?.memory ?? backend.wasm.wasmMemory;
  if (!(memory instanceof WebAssembly.Memory)) {
    throw new TypeError("lib/ml/kernels: the tfjs wasm module does not export its memory");
  }
  return memory;
}

/** The SIMD helpers (`simd_kernels.c`) running on this backend's memory. */
export function simd(backend: WasmBackend): SimdKernels {
  return simdKernels(memoryOf(backend));
}

const pools = new WeakMap<WebAssembly.Memory, SimdPool>();

/**
 * Starts helper threads for the SIMD helpers, as many in all as tfjs's wasm threads
 * (`setThreadsCount`), once the backend runs; nothing in the single-threaded build. Call (and
 * await) once after the backend started: workers cannot start while a kernel blocks this thread.
 */
export async function startSimdPool(backend: WasmBackend): Promise<SimdPool> {
  const memory = memoryOf(backend);
  let pool = pools.get(memory);
  if (pool === undefined) {
    const shared = typeof SharedArrayBuffer !== "undefined" &&
      memory.buffer instanceof SharedArrayBuffer;
    const threads = shared ? getThreadsCount() : 1;
    pool = await createSimdPool(simdModule(shared), memory, simdKernels(memory), threads);
    pools.set(memory, pool);
  }
  return pool;
}

/** The pool {@linkcode startSimdPool} started for this backend, or this thread alone. */
export function simdPool(backend: WasmBackend): SimdPool {
  const memory = memoryOf(backend);
  return pools.get(memory) ?? serialPool(simdKernels(memory));
}

/**
 * Zero-pads images `x [n, h, w, c]` (byte offset `from`) into `[n, hp, wp, c]` at byte offset `to`,
 * image `(0, 0)` at `(top, left)`; blocks of images go to the pool's threads.
 */
export function padImages(
  pool: SimdPool,
  from: number,
  to: number,
  [n, h, w, c]: readonly number[],
  [top, left, hp, wp]: readonly number[],
): void {
  pool.run(
    "pad_nhwc",
    splitRange(n!, pool.partsFor(n! * hp! * wp! * c!)).map(([n0, n1]) => [
      from + 4 * n0 * h! * w! * c!,
      to + 4 * n0 * hp! * wp! * c!,
      n1 - n0,
      h!,
      w!,
      c!,
      top!,
      left!,
      hp!,
      wp!,
    ]),
  );
}

/** A view of the same data with another shape (shares the buffer, adds a reference). */
export function reshapeInfo(backend: WasmBackend, info: TensorInfo, shape: number[]): TensorInfo {
  backend.incRef(info.dataId);
  return { dataId: info.dataId, shape, dtype: info.dtype };
}

/** Releases a tensor made inside a kernel (an intermediate, never the kernel's output). */
export function release(backend: WasmBackend, info: TensorInfo): void {
  backend.disposeData(info.dataId);
}

/**
 * A kernel config for `kernelName` on the `wasm` backend: `kernelFunc` takes its own typed
 * arguments (the cast to tfjs's untyped `KernelFunc` happens here, once).
 */
export function wasmKernel<Args>(
  kernelName: string,
  kernelFunc: (args: Args) => TensorInfo | TensorInfo[],
): KernelConfig {
  return { kernelName, backendName: "wasm", kernelFunc: kernelFunc as unknown as KernelFunc };
}

/** The stock tfjs-backend-wasm kernels that ours replaced, by name. */
const stock = new Map<string, KernelConfig>();

/** Remembers a stock kernel before ours replaces it, so that ours can still delegate to it. */
export function rememberStockKernel(config: KernelConfig): void {
  if (!stock.has(config.kernelName)) stock.set(config.kernelName, config);
}

/**
 * Runs one of the `wasm` backend's stock kernels directly (no tape, no engine bookkeeping): how
 * our kernels reach XNNPACK. Uses the stock kernel even where ours replaced it.
 */
export function runWasmKernel(
  backend: WasmBackend,
  kernelName: string,
  inputs: Record<string, TensorInfo>,
  attrs: NamedAttrMap,
): TensorInfo {
  const kernel = stock.get(kernelName) ?? getKernel(kernelName, "wasm");
  if (kernel === undefined) {
    throw new TypeError(`lib/ml/kernels: the wasm backend has no "${kernelName}" kernel`);
  }
  return kernel.kernelFunc({ inputs, attrs, backend: backend as never }) as TensorInfo;
}
