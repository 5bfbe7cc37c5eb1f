/**
 * Adversarial examples on tfjs input gradients: FGSM and PGD under L-infinity, the random-sign
 * noise floor, DeepFool (for DFAL selection), and the transfer measurement of a substitute's
 * examples on the target with its white-box ceiling and noise floor.
 *
 * @module
 */

export * from "./model.ts";
export * from "./attacks.ts";
export * from "./deepfool.ts";
export * from "./transfer.ts";
