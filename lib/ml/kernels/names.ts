/**
 * Names of the kernels of our own that code outside `kernels/` calls (no imports, so that
 * `../model.ts` can name them without loading the kernels).
 *
 * @module
 */

/**
 * `QuarryConvReluPool`: inputs `{ x, filter, bias }` (NHWC, filter HWIO, bias `[out channels]`),
 * no attrs: `maxPool(relu(conv2d(x, filter, stride 1, "valid") + bias), 2, 2, "valid")`, with the
 * bits of `tf.fused.conv2d` then `tf.maxPool`. No gradient: for prediction.
 */
export const CONV_RELU_POOL = "QuarryConvReluPool";
