/**
 * Stage `target` (matrix over `dataset`): trains the target classifier on the training split
 * written by `prepare` and measures it on the test split.
 *
 * Deps, in order: the train split file and the test split file (or one folder holding
 * `train.bin` and `test.bin`). Outs, in order: the weights file and the metrics JSON (or one
 * folder, filled with `model.weights` and `metrics.json`). Params: `target.*`, see
 * `lib/ml/params.ts` (model, epochs, batch, lr, lr_decay, seed, validation_split, patience,
 * train_size, test_size).
 *
 * The metrics hold `test_accuracy`, `per_class_accuracy` and `epochs`: results only, the same
 * bytes on any machine. The training time and throughput go to the log and, through
 * `ctx.measure`, to the runner's timing record (never to an out: every downstream hashes it).
 *
 * @module
 */

import { join } from "node:path";
import { readSplitFile } from "../lib/data/mod.ts";
import {
  accuracy,
  argmaxRows,
  createClassifier,
  initBackend,
  parseTrainConfig,
  perClassAccuracy,
  sizeOrAll,
  trainConfigIssues,
} from "../lib/ml/mod.ts";
import { canonicalJson } from "../lib/util/json.ts";
import { writeFileAtomic } from "../lib/util/fs.ts";
import type { ParamIssue, ParamValue, StageContext } from "../lib/pipeline/stage_context.ts";

/** The params prefix this stage reads. */
export const PREFIX = "target";

/** Checks the `target.*` params. */
export function validate(
  params: Readonly<Record<string, ParamValue>>,
  _vars: Readonly<Record<string, ParamValue>>,
): ParamIssue[] {
  return trainConfigIssues(params, PREFIX);
}

function pick(list: readonly string[], what: string, names: [string, string]): [string, string] {
  if (list.length === 1 && list[0]!.endsWith("/")) {
    return [join(list[0]!, names[0]), join(list[0]!, names[1])];
  }
  if (list.length !== 2) {
    throw new TypeError(
      `Invalid ${what} of stage target: expected two files (${names.join(", ")}) or one ` +
        `folder, got ${JSON.stringify(list)}`,
    );
  }
  return [list[0]!, list[1]!];
}

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

/** Runs the stage. */
export async function run(ctx: StageContext): Promise<void> {
  const config = parseTrainConfig(ctx.params, PREFIX);
  const [trainPath, testPath] = pick(ctx.deps, "deps", ["train.bin", "test.bin"]);
  const [weightsPath, metricsPath] = pick(ctx.outs, "outs", ["model.weights", "metrics.json"]);
  const backend = await initBackend();
  const train = await readSplitFile(trainPath);
  const test = await readSplitFile(testPath);
  const pixels = train.height * train.width;
  const nTrain = sizeOrAll(config.trainSize, train.count);
  const nTest = sizeOrAll(config.testSize, test.count);
  const classes = config.model.classes;
  const model = createClassifier(config.model, {
    seed: config.seed,
    optimizer: { learningRate: config.learningRate },
  });
  try {
    const started = performance.now();
    const history = await model.fit(
      train.images.subarray(0, nTrain * pixels),
      train.labels.subarray(0, nTrain),
      {
        epochs: config.epochs,
        batchSize: config.batchSize,
        lrDecay: config.lrDecay,
        validationSplit: config.validationSplit,
        patience: config.patience ?? undefined,
        onBatch: (done, total) => ctx.progress(done, total),
        onEpoch: (log) =>
          console.error(
            `${ctx.name}: epoch ${log.epoch + 1}/${config.epochs} loss ${log.loss.toFixed(4)} ` +
              `accuracy ${log.accuracy.toFixed(4)}` +
              (log.val_loss !== undefined ? ` val_loss ${log.val_loss.toFixed(4)}` : ""),
          ),
      },
    );
    const seconds = (performance.now() - started) / 1000;
    const labels = test.labels.subarray(0, nTest);
    const predicted = argmaxRows(
      model.predictProba(test.images.subarray(0, nTest * pixels)),
      classes,
    );
    const last = history.epochs[history.epochs.length - 1];
    const samples = (nTrain - Math.round(nTrain * config.validationSplit)) * history.epochs.length;
    const metrics = {
      backend,
      best_epoch: history.bestEpoch + 1,
      dataset: train.dataset,
      epochs: history.epochs.length,
      final_loss: last === undefined ? null : round6(last.loss),
      per_class_accuracy: perClassAccuracy(predicted, labels, classes).map((a) =>
        a === null ? null : round6(a)
      ),
      seed: config.seed,
      stopped_early: history.stoppedEarly,
      test_accuracy: round6(accuracy(predicted, labels)),
      test_samples: nTest,
      train_accuracy: last === undefined ? null : round6(last.accuracy),
      train_samples: nTrain,
    };
    await writeFileAtomic(weightsPath, model.saveWeights());
    await writeFileAtomic(metricsPath, canonicalJson(metrics, 2) + "\n");
    const samplesPerSecond = Math.round(samples / Math.max(seconds, 1e-9));
    ctx.measure?.("train_seconds", Math.round(seconds * 10) / 10);
    ctx.measure?.("samples_per_second", samplesPerSecond);
    console.error(
      `${ctx.name}: test accuracy ${metrics.test_accuracy} after ${metrics.epochs} epochs ` +
        `(${seconds.toFixed(1)} s, ${samplesPerSecond} samples/s, ${backend})`,
    );
  } finally {
    model.dispose();
  }
}
