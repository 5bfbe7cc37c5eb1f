/**
 * Transfer of adversarial examples from a substitute to the target: the number model stealing
 * exists for (cleverhans' `bbox_on_sub_adv_ex`). For each eps and attack, on the same images:
 *
 * - **transfer**: examples crafted on the substitute (white-box on it), shown to the target;
 * - **white box**: the same examples on the substitute itself;
 * - **ceiling**: examples crafted on the target itself (what a thief with the weights gets);
 * - **floor**: random ±eps sign noise (seeded) shown to the target.
 *
 * A success rate is the share of the images a model classified correctly (true labels) that it
 * misclassifies after the perturbation: transfer, ceiling and floor count over the images the
 * target got right, white box over those the substitute got right. Each rate carries its
 * numerator and denominator.
 *
 * @module
 */

import { deriveSeed } from "../util/random.ts";
import { fgsm, pgd, signNoise } from "./attacks.ts";
import { type AttackModel, predictLabels } from "./model.ts";

/** The attacks a transfer run measures. */
export const TRANSFER_ATTACKS = ["fgsm", "pgd"] as const;

/** One of {@linkcode TRANSFER_ATTACKS}. */
export type TransferAttack = typeof TRANSFER_ATTACKS[number];

/** Settings of a transfer run. */
export interface TransferConfig {
  /** L-infinity radii. */
  readonly eps: readonly number[];
  /** Attacks, in the order reported. */
  readonly attacks: readonly TransferAttack[];
  /** PGD's steps. */
  readonly pgdSteps: number;
  /** PGD's step size as a fraction of eps (0.25: eps/4). */
  readonly pgdStepRatio: number;
  /** Seed of PGD's random starts and of the noise floor. */
  readonly seed: number;
}

/** A success rate with its counts. */
export interface Rate {
  /** Images misclassified after the perturbation, among `of`. */
  readonly fooled: number;
  /** The denominator: images the model classified correctly before. */
  readonly of: number;
  /** `fooled / of` (0 when `of` is 0). */
  readonly rate: number;
}

/** The results at one eps for one attack. */
export interface TransferRow {
  readonly attack: TransferAttack;
  readonly eps: number;
  /** Substitute-crafted examples on the target (over the target's correct images). */
  readonly transfer: Rate;
  /** Substitute-crafted examples on the substitute (over the substitute's correct images). */
  readonly white_box: Rate;
  /** Target-crafted examples on the target: the ceiling. */
  readonly ceiling: Rate;
  /** Random ±eps sign noise on the target: the floor (the same for every attack at this eps). */
  readonly floor: Rate;
}

/** What a transfer run measured. */
export interface TransferResult {
  /** Images attacked. */
  readonly images: number;
  /** Images the target classifies correctly (the denominator of transfer, ceiling, floor). */
  readonly target_correct: number;
  /** Images the substitute classifies correctly (the denominator of white box). */
  readonly substitute_correct: number;
  /** Share of images where substitute and target agree, before any attack. */
  readonly agreement: number;
  readonly rows: TransferRow[];
}

function rate(fooled: number, of: number): Rate {
  return { fooled, of, rate: of === 0 ? 0 : fooled / of };
}

/** How many of the images in `mask` a model now gets wrong. */
function countFooled(
  model: AttackModel,
  x: Float32Array,
  labels: ArrayLike<number>,
  mask: Uint8Array,
): number {
  const predicted = predictLabels(model, x);
  let n = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] && predicted[i] !== labels[i]) n++;
  return n;
}

function correctMask(predicted: Int32Array, labels: ArrayLike<number>): Uint8Array {
  return Uint8Array.from(predicted, (p, i) => (p === labels[i] ? 1 : 0));
}

const sum = (mask: Uint8Array) => mask.reduce((s, v) => s + v, 0);

/**
 * Crafts and measures, for every eps and attack, on images `x` (row-major, [0, 1]) with true
 * `labels`. Deterministic for a config.
 */
export function measureTransfer(
  substitute: AttackModel,
  target: AttackModel,
  x: Float32Array,
  labels: ArrayLike<number>,
  config: TransferConfig,
): TransferResult {
  const targetClean = predictLabels(target, x);
  const subClean = predictLabels(substitute, x);
  if (targetClean.length !== labels.length) {
    throw new RangeError(
      `Invalid labels: expected ${targetClean.length} (one per image), got ${labels.length}`,
    );
  }
  const targetOk = correctMask(targetClean, labels);
  const subOk = correctMask(subClean, labels);
  const nT = sum(targetOk);
  const nS = sum(subOk);
  let agree = 0;
  for (let i = 0; i < targetClean.length; i++) if (targetClean[i] === subClean[i]) agree++;
  // Each attack raises the loss of the crafting model's own clean predictions (the attacks'
  // default): pass those in rather than predicting the same images again per eps and attack.
  const craft = (
    model: AttackModel,
    clean: Int32Array,
    attack: TransferAttack,
    eps: number,
  ): Float32Array =>
    attack === "fgsm" ? fgsm(model, x, { eps, labels: clean }) : pgd(model, x, {
      eps,
      labels: clean,
      steps: config.pgdSteps,
      stepSize: eps * config.pgdStepRatio,
      seed: deriveSeed(config.seed, "pgd", String(eps)),
    });
  const rows: TransferRow[] = [];
  for (const eps of config.eps) {
    const noise = signNoise(x, eps, deriveSeed(config.seed, "floor", String(eps)));
    const floor = rate(countFooled(target, noise, labels, targetOk), nT);
    for (const attack of config.attacks) {
      const fromSub = craft(substitute, subClean, attack, eps);
      const fromTarget = craft(target, targetClean, attack, eps);
      rows.push({
        attack,
        eps,
        transfer: rate(countFooled(target, fromSub, labels, targetOk), nT),
        white_box: rate(countFooled(substitute, fromSub, labels, subOk), nS),
        ceiling: rate(countFooled(target, fromTarget, labels, targetOk), nT),
        floor,
      });
    }
  }
  return {
    images: targetClean.length,
    target_correct: nT,
    substitute_correct: nS,
    agreement: targetClean.length === 0 ? 0 : agree / targetClean.length,
    rows,
  };
}
