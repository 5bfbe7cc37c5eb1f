/**
 * Adapters from `lib/ml`'s tfjs classifier to the loop's {@linkcode Learner} and the oracle's
 * {@linkcode Target}. Kept out of `mod.ts` so that importing `lib/active` does not load tfjs.
 *
 * @module
 */

import type { Classifier } from "../ml/mod.ts";
import { deepfool } from "../adversarial/deepfool.ts";
import { attackModelOf, toUnit } from "../adversarial/model.ts";
import type { Learner } from "./learner.ts";
import type { Target } from "./oracle.ts";

/**
 * The substitute as a {@linkcode Learner}. Early stopping watches the validation loss and
 * restores the best epoch's weights (the classifier's defaults).
 *
 * @example Usage
 * ```ts ignore
 * const learner = classifierLearner(createClassifier(LENET, { seed: 1 }));
 * ```
 */
export function classifierLearner(
  classifier: Classifier,
  options: { onBatch?: (done: number, total: number) => void } = {},
): Learner {
  return {
    classes: classifier.spec.classes,
    async fit(x, y, o) {
      await classifier.fit(x, y, {
        epochs: o.epochs,
        batchSize: o.batchSize,
        ...(o.validation === undefined ? {} : { validation: o.validation }),
        ...(o.patience === undefined ? {} : { patience: o.patience }),
        ...(options.onBatch === undefined ? {} : { onBatch: options.onBatch }),
      });
    },
    predictProba: (x) => classifier.predictProba(x),
    reinitialize: (seed) => classifier.reinitialize(seed),
    saveWeights: () => classifier.saveWeights(),
    perturbationNorms: (x, maxSteps) =>
      deepfool(attackModelOf(classifier), toUnit(x), { maxSteps }).norms,
  };
}

/** The target classifier as the oracle's black box. */
export function classifierTarget(classifier: Classifier): Target {
  return { predictProba: (images) => classifier.predictProba(images) };
}
