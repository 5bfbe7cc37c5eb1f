/**
 * ReLU's gradient in one pass on the wasm backend. tfjs computes it as
 * `mul(dy, cast(step(x), "float32"))`: three kernels, three tensors the size of the activation
 * (the first convolution's is 64×24×24×20 per LeNet step). `QuarryReluGrad` (`simd_kernels.c`
 * `relu_grad`, split over the wasm threads) gives the same bits; {@link reluGradConfig} makes
 * `Relu`'s gradient call it where the backend has it, and tfjs's chain elsewhere.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import type { GradConfig, KernelConfig, TensorInfo } from "@tensorflow/tfjs-core";
import { offsetOf, simdPool, type WasmBackend, wasmKernel } from "./wasm_util.ts";
import { splitVectors } from "./simd_pool.ts";

/** The kernel's name. */
export const QUARRY_RELU_GRAD = "QuarryReluGrad";

function reluGrad(
  args: { inputs: { dy: TensorInfo; x: TensorInfo }; backend: unknown },
): TensorInfo {
  const backend = args.backend as WasmBackend;
  const { dy, x } = args.inputs;
  const size = tf.util.sizeFromShape(x.shape);
  if (dy.dtype !== "float32" || x.dtype !== "float32" || tf.util.sizeFromShape(dy.shape) !== size) {
    throw new TypeError(
      `lib/ml/kernels/relu_grad.ts: expected float32 dy and x of one size, got ${dy.dtype} ` +
        `[${dy.shape}] and ${x.dtype} [${x.shape}]`,
    );
  }
  const dx = backend.makeOutput(x.shape.slice(), "float32");
  const [dy0, x0, dx0] = [offsetOf(backend, dy), offsetOf(backend, x), offsetOf(backend, dx)];
  const pool = simdPool(backend);
  // Elements are independent: each thread takes a block of whole SIMD vectors.
  pool.run(
    "relu_grad",
    splitVectors(size, pool.partsFor(size)).map((
      [i0, i1],
    ) => [dy0 + 4 * i0, x0 + 4 * i0, dx0 + 4 * i0, i1 - i0]),
  );
  return dx;
}

/** Kernel config: `QuarryReluGrad` (inputs `dy`, `x`) on `wasm`. */
export const reluGradKernelConfig: KernelConfig = wasmKernel(QUARRY_RELU_GRAD, reluGrad);

/** `Relu`'s gradient: `QuarryReluGrad` where the backend has it, else tfjs's own formula. */
export const reluGradConfig: GradConfig = {
  kernelName: tf.Relu,
  inputsToSave: ["x"],
  gradFunc: (dy, saved) => {
    const [x] = saved as [tf.Tensor];
    const g = dy as tf.Tensor;
    const fused = g.dtype === "float32" && x.dtype === "float32" &&
      tf.getKernel(QUARRY_RELU_GRAD, tf.getBackend()) !== undefined;
    return {
      x: () =>
        fused
          ? tf.engine().runKernel(QUARRY_RELU_GRAD, { dy: g, x }) as tf.Tensor
          : tf.mul(g, tf.cast(tf.step(x), "float32")),
    };
  },
};
