/**
 * Loads the SIMD helper module (`simd_kernels.c`, embedded in `simd_wasm.ts`) onto the tfjs wasm
 * backend's own memory, so its functions work on tensors in place, by byte offset.
 *
 * @module
 */

import { SIMD_WASM_BASE64, SIMD_WASM_SHARED_BASE64 } from "./simd_wasm.ts";

/** The exported functions of `simd_kernels.c` (all arguments are int32; pointers are offsets). */
export interface SimdKernels {
  pad_nhwc(...args: number[]): void;
  im2col_t(...args: number[]): void;
  col2im(...args: number[]): void;
  conv1_filter_grad(...args: number[]): void;
  conv1_forward(...args: number[]): void;
  conv1_pool_forward(...args: number[]): void;
  conv_forward(...args: number[]): void;
  gemm_pack(...args: number[]): void;
  gemm(...args: number[]): void;
  max_pool_grad(...args: number[]): void;
  max_pool(...args: number[]): void;
  relu(...args: number[]): void;
  sum_rows(...args: number[]): void;
  rmsprop(...args: number[]): void;
  relu_grad(...args: number[]): void;
  add_bias(...args: number[]): void;
}

/** Splits base64 of `bytes` into lines of `width` characters. */
export function encodeBase64Lines(bytes: Uint8Array, width: number): string[] {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  const text = btoa(binary);
  const lines: string[] = [];
  for (let i = 0; i < text.length; i += width) lines.push(text.slice(i, i + width));
  return lines;
}

function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

const compiled = new Map<boolean, WebAssembly.Module>();
const instances = new WeakMap<WebAssembly.Memory, SimdKernels>();

/** The compiled helper module, for a shared memory (tfjs's threaded build) or not. */
export function simdModule(shared: boolean): WebAssembly.Module {
  let module = compiled.get(shared);
  if (module === undefined) {
    const text = shared ? SIMD_WASM_SHARED_BASE64 : SIMD_WASM_BASE64;
    module = new WebAssembly.Module(decodeBase64(text) as BufferSource);
    compiled.set(shared, module);
  }
  return module;
}

/**
 * The helpers bound to `memory` (tfjs-backend-wasm's; shared in its threaded build), instantiated
 * once per memory.
 */
export function simdKernels(memory: WebAssembly.Memory): SimdKernels {
  let kernels = instances.get(memory);
  if (kernels === undefined) {
    const shared = typeof SharedArrayBuffer !== "undefined" &&
      memory.buffer instanceof SharedArrayBuffer;
    const instance = new WebAssembly.Instance(simdModule(shared), { env: { memory } });
    kernels = instance.exports as unknown as SimdKernels;
    instances.set(memory, kernels);
  }
  return kernels;
}
