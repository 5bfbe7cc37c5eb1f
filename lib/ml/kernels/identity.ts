/**
 * `Identity` for the wasm backend without a copy: the output shares the input's buffer and adds a
 * reference, as the cpu backend does. tfjs clones every tensor it saves for the backward pass
 * (`Engine.clone` runs `Identity`), and the stock wasm kernel copies each one, which costs about
 * 2 ms of a LeNet training step. Sharing is safe because tfjs tensors are immutable: no kernel
 * writes into its inputs, and `Variable.assign` swaps buffers instead of overwriting them.
 *
 * @module
 */

import { Identity, type KernelConfig, type TensorInfo } from "@tensorflow/tfjs-core";
import { reshapeInfo, runWasmKernel, type WasmBackend, wasmKernel } from "./wasm_util.ts";

function identity(args: { inputs: { x: TensorInfo }; backend: unknown }): TensorInfo {
  const backend = args.backend as WasmBackend;
  const { x } = args.inputs;
  // Strings live outside the heap; the stock kernel handles them.
  if (x.dtype === "string") return runWasmKernel(backend, Identity, { x }, {});
  return reshapeInfo(backend, x, x.shape.slice());
}

/** Kernel config: `Identity` on `wasm`, replacing the stock (copying) one. */
export const identityConfig: KernelConfig = wasmKernel(Identity, identity);
