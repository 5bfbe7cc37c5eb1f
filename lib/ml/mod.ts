/**
 * Machine learning for Quarry: the tfjs backend (`initBackend`), model specs (`LENET` by
 * default), seeded classifiers with deterministic training (`createClassifier`), weights files,
 * and classification metrics (accuracy, per-class accuracy, agreement).
 *
 * @example
 * ```ts ignore
 * import { accuracy, argmaxRows, createClassifier, initBackend, LENET } from "./mod.ts";
 * await initBackend();
 * const model = createClassifier(LENET, { seed: 1 });
 * await model.fit(trainImages, trainLabels, { epochs: 5, batchSize: 64 });
 * const predicted = argmaxRows(model.predictProba(testImages), 10);
 * console.log(accuracy(predicted, testLabels));
 * model.dispose();
 * ```
 *
 * @module
 */

export { type BackendOptions, initBackend } from "./backend.ts";
export * from "./spec.ts";
export * from "./metrics.ts";
export * from "./train.ts";
export * from "./model.ts";
export * from "./weights.ts";
export * from "./classifier.ts";
export * from "./params.ts";
