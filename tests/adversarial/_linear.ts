/** Tiny hand-made linear models `logits = flatten(x) · W + b` for the attack tests. */
import * as tf from "@tensorflow/tfjs-core";
import type { AttackModel } from "../../lib/adversarial/model.ts";

/** A linear model over `pixels` inputs; `w[k]` is class k's weight row. Call `dispose()`. */
export function linearModel(
  w: readonly (readonly number[])[],
  b: readonly number[],
): AttackModel & { dispose(): void } {
  const classes = w.length;
  const pixels = w[0]!.length;
  const wt = tf.tensor2d(
    Float32Array.from(
      { length: pixels * classes },
      (_, i) => w[i % classes]![Math.floor(i / classes)]!,
    ),
    [pixels, classes],
  );
  const bt = tf.tensor1d(Float32Array.from(b));
  return {
    input: [1, pixels, 1],
    classes,
    logits: (x) => tf.tidy(() => tf.add(tf.matMul(tf.reshape(x, [x.shape[0], pixels]), wt), bt)),
    dispose: () => tf.dispose([wt, bt]),
  };
}

/** Logits of one image under weights `w` and biases `b`, in plain arithmetic. */
export function linearLogits(
  w: readonly (readonly number[])[],
  b: readonly number[],
  x: ArrayLike<number>,
): number[] {
  return w.map((row, k) => row.reduce((s, v, i) => s + v * x[i]!, b[k]!));
}
