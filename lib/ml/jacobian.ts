/**
 * DeepFool's Jacobian (every class's logit differentiated with respect to the input) without the
 * work `tf.grad` spends on nothing: through `tf.grad` it takes the batch repeated once per class,
 * so the forward pass runs once per class. Here one forward pass keeps each layer's activations,
 * they are repeated once per class, and the backward pass computes input gradients only: about
 * 11 forward passes' worth of arithmetic per image instead of about 21. (For a loss's gradient,
 * FGSM's and PGD's, `tf.grad` already does only that: nothing to gain.)
 *
 * The bits are those of `tf.grad` (tested): the forward kernels give each image the same bits
 * whatever the batch, and each backward step does what tfjs's gradient of that op does (ReLU:
 * `dy` where the output is positive, else 0; `MatMul` by the transposed weights; `MaxPoolGrad`;
 * `Conv2DBackpropInput`), with the same kernels.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
import type { Network } from "./model.ts";

/** What the forward pass keeps of one layer for its gradient. */
interface Kept {
  /** The fused conv or dense output (after its activation). */
  readonly y: tf.Tensor;
  /** The max-pool output (conv layers with a pool), else null. */
  readonly pooled: tf.Tensor4D | null;
  /** The shape of the layer's input. */
  readonly inputShape: readonly number[];
}

/** The forward pass of {@linkcode Network.logits}, keeping each layer's activations. */
function forwardKeeping(net: Network, x: tf.Tensor4D): { logits: tf.Tensor2D; kept: Kept[] } {
  const { spec, variables } = net;
  const kept: Kept[] = [];
  let h: tf.Tensor4D = x;
  spec.conv.forEach((block, i) => {
    const [filter, bias] = [variables[2 * i] as tf.Tensor4D, variables[2 * i + 1]!];
    const inputShape = h.shape;
    const y = tf.fused.conv2d({ x: h, filter, strides: 1, pad: "valid", bias, activation: "relu" });
    h = block.pool > 1 ? tf.maxPool(y, block.pool, block.pool, "valid") : y;
    kept.push({ y, pooled: block.pool > 1 ? h : null, inputShape });
  });
  let z: tf.Tensor2D = tf.reshape(h, [h.shape[0], -1]);
  const nDense = spec.dense.length + 1;
  for (let j = 0; j < nDense; j++) {
    const k = 2 * (spec.conv.length + j);
    const inputShape = z.shape;
    z = tf.fused.matMul({
      a: z,
      b: variables[k] as tf.Tensor2D,
      bias: variables[k + 1],
      activation: j < nDense - 1 ? "relu" : "linear",
    }) as tf.Tensor2D;
    kept.push({ y: z, pooled: null, inputShape });
  }
  return { logits: z, kept };
}

/**
 * Back-propagates `dy`, the gradient at the logits of the forward pass `kept` was kept from, with
 * that pass' batch repeated `copies` times (`dy` has `copies · b` rows), to the input: the
 * gradient with respect to the input, `[copies · b, h, w, c]`. Input gradients only.
 */
function backToInput(
  net: Network,
  kept: readonly Kept[],
  inputShape: readonly number[],
  dy: tf.Tensor,
  copies: number,
): tf.Tensor4D {
  const { spec, variables } = net;
  // The batch once per copy (concat copies; tfjs-wasm's Tile is far slower).
  const repeat = <T extends tf.Tensor>(t: T): T =>
    copies === 1 ? t : tf.concat(Array(copies).fill(t), 0) as T;
  const rows = copies * inputShape[0]!;
  const nConv = spec.conv.length;
  for (let j = kept.length - 1; j >= nConv; j--) {
    if (j < kept.length - 1) dy = tf.mul(dy, tf.step(repeat(kept[j]!.y)));
    dy = tf.matMul(dy as tf.Tensor2D, variables[2 * j] as tf.Tensor2D, false, true);
  }
  const last = kept[nConv - 1];
  dy = tf.reshape(dy, [rows, ...(last ? (last.pooled ?? last.y).shape : inputShape).slice(1)]);
  for (let i = nConv - 1; i >= 0; i--) {
    const layer = kept[i]!;
    const y = repeat(layer.y as tf.Tensor4D);
    if (layer.pooled) {
      const pool = spec.conv[i]!.pool;
      const attrs = { filterSize: pool, strides: pool, pad: "valid" as const };
      const inputs = { dy, input: y, output: repeat(layer.pooled) };
      dy = tf.engine().runKernel("MaxPoolGrad", inputs, attrs) as tf.Tensor;
    }
    dy = tf.mul(dy, tf.step(y));
    const shape = [rows, ...layer.inputShape.slice(1)] as [number, number, number, number];
    dy = tf.conv2dTranspose(dy as tf.Tensor4D, variables[2 * i] as tf.Tensor4D, shape, 1, "valid");
  }
  return dy as tf.Tensor4D;
}

/**
 * Logits `[b, classes]` of `x` (`[b, h, w, c]`) and the gradient of every class's logit with
 * respect to `x`, `[classes · b, h, w, c]` (row `k · b + i`: class `k` of image `i`), bit for bit
 * as `tf.grad` of the summed one-hot-masked logits of `x` repeated once per class gives it. The
 * caller disposes both.
 */
export function inputJacobian(
  net: Network,
  x: tf.Tensor4D,
): { logits: tf.Tensor2D; jacobian: tf.Tensor4D } {
  return tf.tidy(() => {
    const C = net.spec.classes;
    const b = x.shape[0];
    const { logits, kept } = forwardKeeping(net, x);
    // d(sum(logits · mask)) / d logits is the mask: one-hot rows, class k for rows k·b .. k·b+b-1.
    const rows = Int32Array.from({ length: C * b }, (_, r) => Math.floor(r / b));
    const mask = tf.cast(tf.oneHot(tf.tensor1d(rows, "int32"), C), "float32");
    return { logits, jacobian: backToInput(net, kept, x.shape, mask, C) };
  });
}
