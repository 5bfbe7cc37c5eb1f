/**
 * `deno task bench attack [--seconds S] [--json]`: throughput, in images/s, of FGSM, PGD (10
 * steps), DeepFool (at most 20 steps, the DFAL default) and plain prediction on the default
 * model (LeNet, briefly trained on synthetic data so that DeepFool takes a few steps), on the
 * tfjs wasm backend, 1 thread. Each is timed for about `seconds` (default 1); the machine is
 * shared, so figures are indicative. Then DeepFool's Jacobian (every class's input gradient) two
 * ways, interleaved over 3 rounds: `tf.grad` over the batch repeated per class (what DeepFool runs
 * today, `logitsAndJacobian`) and `inputJacobian` (`lib/ml/jacobian.ts`: one forward pass, input
 * gradients only, the same bits), with the ratio.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { createClassifier, initBackend, LENET } from "../lib/ml/mod.ts";
import { fgsm, pgd } from "../lib/adversarial/attacks.ts";
import { deepfool } from "../lib/adversarial/deepfool.ts";
import { type AttackModel, logitsAndJacobian, predictLabels } from "../lib/adversarial/model.ts";
import { inputJacobian } from "../lib/ml/jacobian.ts";
import { createNetwork, type Network } from "../lib/ml/model.ts";
import * as tf from "@tensorflow/tfjs-core";
import { makeData } from "./train.ts";
import { median } from "./_stats.ts";

/** Images per timed call. */
const BATCH = 64;

/** Calls `fn` on `BATCH` images until `seconds` have passed; images per second. */
function rate(fn: () => void, seconds: number): number {
  fn(); // warm-up
  let images = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    fn();
    images += BATCH;
  }
  return images / ((performance.now() - start) / 1000);
}

/** Images/s of `a` and `b`, alternating, 3 rounds of about `seconds` each; medians and ratios. */
function interleaved(a: () => void, b: () => void, seconds: number) {
  const ra: number[] = [];
  const rb: number[] = [];
  for (let round = 0; round < 3; round++) {
    ra.push(rate(a, seconds));
    rb.push(rate(b, seconds));
  }
  return { grad: median(ra), ours: median(rb), ratios: rb.map((o, i) => o / ra[i]!) };
}

/** DeepFool's Jacobian through `tf.grad` and through `inputJacobian`, interleaved. */
function jacobianRates(model: AttackModel, network: Network, x: Float32Array, seconds: number) {
  const direct = () => {
    const xt = tf.tensor4d(x, [BATCH, ...LENET.input]);
    const { logits, jacobian } = inputJacobian(network, xt);
    jacobian.dataSync();
    logits.dataSync();
    tf.dispose([xt, logits, jacobian]);
  };
  return interleaved(() => logitsAndJacobian(model, x), direct, seconds);
}

/** Runs the benchmark. */
export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { seconds: { type: "string", default: "1" }, json: { type: "boolean" } },
  });
  const seconds = Number(values.seconds);
  if (!(seconds > 0)) {
    throw new RangeError(`Invalid --seconds: expected > 0, got ${values.seconds}`);
  }
  await initBackend();
  const net = createClassifier(LENET, { seed: 1 });
  const train = makeData(512, 1);
  const y = new Float32Array(512 * 10);
  train.y.forEach((c, i) => (y[i * 10 + c] = 1));
  await net.fit(train.x, y, { epochs: 1, batchSize: 64 });
  const model: AttackModel = { input: LENET.input, classes: 10, logits: net.logits };
  const x = makeData(BATCH, 2).x;
  const results = {
    predict: rate(() => predictLabels(model, x), seconds),
    fgsm: rate(() => fgsm(model, x, { eps: 0.1 }), seconds),
    pgd10: rate(() => pgd(model, x, { eps: 0.1, seed: 0 }), seconds),
    deepfool: rate(() => deepfool(model, x, { maxSteps: 20 }), seconds),
  };
  const network = createNetwork(LENET, 1);
  network.setWeights(net.getWeights());
  const jac = jacobianRates(model, network, x, seconds);
  network.dispose();
  net.dispose();
  if (values.json) {
    console.log(JSON.stringify({ batch: BATCH, images_per_s: results, jacobian: jac }));
    return;
  }
  for (const [name, r] of Object.entries(results)) {
    console.log(`${name.padEnd(9)} ${r.toFixed(0).padStart(6)} images/s`);
  }
  const ratios = jac.ratios.map((r) => r.toFixed(2)).join(", ");
  console.log(
    `jacobian  ${jac.grad.toFixed(0).padStart(6)} images/s through tf.grad, ${
      jac.ours.toFixed(0)
    } by inputJacobian (median of 3 interleaved; ratio per round ${ratios})`,
  );
}
