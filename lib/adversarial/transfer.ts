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

/** The target's side of a transfer run at one eps and attack: the same for every substitute. */
export interface ReferenceRow {
  readonly attack: TransferAttack;
  readonly eps: number;
  /** Target-crafted examples on the target. */
  readonly ceiling: Rate;
  /** Random ±eps sign noise on the target. */
  readonly floor: Rate;
}

/**
 * What the target alone gives on the images, for every eps and attack: measured once per target
 * (the `ceiling` stage) and shared by every substitute's transfer run.
 */
export interface TransferReference {
  /** Images attacked. */
  readonly images: number;
  /** Images the target classifies correctly. */
  readonly target_correct: number;
  readonly rows: readonly ReferenceRow[];
}

/** Crafts examples on `model` against its own clean predictions (the attacks' default). */
function craft(
  model: AttackModel,
  x: Float32Array,
  clean: Int32Array,
  attack: TransferAttack,
  eps: number,
  config: TransferConfig,
): Float32Array {
  return attack === "fgsm" ? fgsm(model, x, { eps, labels: clean }) : pgd(model, x, {
    eps,
    labels: clean,
    steps: config.pgdSteps,
    stepSize: eps * config.pgdStepRatio,
    seed: deriveSeed(config.seed, "pgd", String(eps)),
  });
}

function checkLabels(predicted: Int32Array, labels: ArrayLike<number>): void {
  if (predicted.length !== labels.length) {
    throw new RangeError(
      `Invalid labels: expected ${predicted.length} (one per image), got ${labels.length}`,
    );
  }
}

/**
 * The ceiling and the floor for every eps and attack, on images `x` (row-major, [0, 1]) with
 * true `labels`. Deterministic for a config.
 */
export function measureReference(
  target: AttackModel,
  x: Float32Array,
  labels: ArrayLike<number>,
  config: TransferConfig,
): TransferReference {
  const clean = predictLabels(target, x);
  checkLabels(clean, labels);
  const ok = correctMask(clean, labels);
  const nT = sum(ok);
  const rows: ReferenceRow[] = [];
  for (const eps of config.eps) {
    const noise = signNoise(x, eps, deriveSeed(config.seed, "floor", String(eps)));
    const floor = rate(countFooled(target, noise, labels, ok), nT);
    for (const attack of config.attacks) {
      const fromTarget = craft(target, x, clean, attack, eps, config);
      rows.push({
        attack,
        eps,
        ceiling: rate(countFooled(target, fromTarget, labels, ok), nT),
        floor,
      });
    }
  }
  return { images: clean.length, target_correct: nT, rows };
}

/**
 * Crafts on the substitute and measures, for every eps and attack, on images `x` (row-major,
 * [0, 1]) with true `labels`; the ceiling and floor come from `reference` (measured on the same
 * images and config, else a `RangeError`), by default measured here. Deterministic for a config.
 */
export function measureTransfer(
  substitute: AttackModel,
  target: AttackModel,
  x: Float32Array,
  labels: ArrayLike<number>,
  config: TransferConfig,
  reference?: TransferReference,
): TransferResult {
  const targetClean = predictLabels(target, x);
  const subClean = predictLabels(substitute, x);
  checkLabels(targetClean, labels);
  const targetOk = correctMask(targetClean, labels);
  const subOk = correctMask(subClean, labels);
  const nT = sum(targetOk);
  const nS = sum(subOk);
  const ref = reference ?? measureReference(target, x, labels, config);
  let agree = 0;
  for (let i = 0; i < targetClean.length; i++) if (targetClean[i] === subClean[i]) agree++;
  const rows: TransferRow[] = [];
  for (const eps of config.eps) {
    for (const attack of config.attacks) {
      const { ceiling, floor } = referenceRow(ref, attack, eps, targetClean.length, nT);
      const fromSub = craft(substitute, x, subClean, attack, eps, config);
      rows.push({
        attack,
        eps,
        transfer: rate(countFooled(target, fromSub, labels, targetOk), nT),
        white_box: rate(countFooled(substitute, fromSub, labels, subOk), nS),
        ceiling,
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

// The reference's row for an eps and attack, checked against what this run sees of the target.
function referenceRow(
  ref: TransferReference,
  attack: TransferAttack,
  eps: number,
  images: number,
  targetCorrect: number,
): ReferenceRow {
  if (ref.images !== images || ref.target_correct !== targetCorrect) {
    throw new RangeError(
      `Invalid transfer reference: measured on ${ref.images} images (target correct on ${ref.target_correct}), this run has ${images} (${targetCorrect})`,
    );
  }
  const row = ref.rows.find((r) => r.attack === attack && r.eps === eps);
  if (!row) throw new RangeError(`Invalid transfer reference: no row for ${attack} at eps ${eps}`);
  return {
    attack,
    eps,
    ceiling: rate(row.ceiling.fooled, row.ceiling.of),
    floor: rate(row.floor.fooled, row.floor.of),
  };
}
