/**
 * Stage `pool_bug` (matrix over `pool`): tests the leading hypothesis for the thesis's 62.52% on
 * Fashion-MNIST instead of asserting it. The thesis code's active-learning pool is hard-coded to
 * `torchvision.datasets.MNIST(train=True)`, so on `--dataset FashionMNIST` its substitute was
 * trained on MNIST images answered by the Fashion-MNIST victim. Here a fresh substitute is trained
 * once on a whole pool (`pool_bug.train_size` images of dataset `pool`, 0: all 60,000) labelled by
 * the target of `pool_bug.target`, with the thesis code's whole-data recipe (`train_netS_real`:
 * one epoch, batch size 1, RMSProp at 1e-4, the victim's soft labels), and scored on the target
 * dataset's test set (`pool_bug.test_size`, 0: all 10,000, as the thesis scored its substitute).
 * Run once with the MNIST pool (the bug) and once with the target's own pool; the report puts
 * both beside 62.52%.
 *
 * Deps, in order: the folder holding the `prepare` outs (`<dataset>/train.bin`, `test.bin`) and
 * the target's out folder (`model.weights`, and `metrics.json` naming its dataset). Outs:
 * `pool_bug.json`.
 * Params: `pool_bug.{model, epochs, batch, lr, lr_decay, seed, train_size, test_size}` (as
 * `lib/ml/params.ts`) and `pool_bug.labels` (`soft` or `hard`).
 *
 * @module
 */

import { join } from "node:path";
import { classHistogram, readSplitFile } from "../lib/data/mod.ts";
import {
  accuracy,
  agreement,
  argmaxRows,
  createClassifier,
  initBackend,
  parseTrainConfig,
  readClassifier,
  sizeOrAll,
  trainConfigIssues,
} from "../lib/ml/mod.ts";
import { resolveOuts, round6, writeJson } from "../lib/active/experiment.ts";
import type { ParamIssue, ParamValue, StageContext } from "../lib/pipeline/stage_context.ts";

/** The params prefix this stage reads. */
export const PREFIX = "pool_bug";

function labelsOf(params: Readonly<Record<string, ParamValue>>): "soft" | "hard" {
  const v = params[`${PREFIX}.labels`] ?? "soft";
  return v === "hard" ? "hard" : "soft";
}

/** Checks the `pool_bug.*` params and the `pool` matrix value. */
export function validate(
  params: Readonly<Record<string, ParamValue>>,
  vars: Readonly<Record<string, ParamValue>>,
): ParamIssue[] {
  const issues = trainConfigIssues(params, PREFIX);
  const labels = params[`${PREFIX}.labels`];
  if (labels !== undefined && labels !== "soft" && labels !== "hard") {
    issues.push({
      param: `${PREFIX}.labels`,
      message: `expected "soft" or "hard", got ${JSON.stringify(labels)}`,
    });
  }
  if (typeof vars.pool !== "string" || vars.pool === "") {
    issues.push({
      param: "pool",
      message: `expected a dataset name, got ${JSON.stringify(vars.pool)}`,
    });
  }
  return issues;
}

/** The data folder (holding `<dataset>/train.bin`, `<dataset>/test.bin`) and the target folder. */
function depFolders(deps: readonly string[]): { data: string; target: string } {
  const [data, target] = deps;
  if (deps.length !== 2 || !data?.endsWith("/") || !target?.endsWith("/")) {
    throw new TypeError(
      `Invalid deps of stage ${PREFIX}: expected the data folder and the target's folder, got ${
        JSON.stringify(deps)
      }`,
    );
  }
  return { data, target };
}

async function targetDataset(folder: string): Promise<string> {
  const path = join(folder, "metrics.json");
  const metrics = JSON.parse(await Deno.readTextFile(path)) as { dataset?: unknown };
  if (typeof metrics.dataset !== "string") {
    throw new TypeError(`Invalid "${path}": expected a "dataset" string`);
  }
  return metrics.dataset;
}

/** Runs the stage. */
export async function run(ctx: StageContext): Promise<void> {
  const config = parseTrainConfig(ctx.params, PREFIX);
  const labels = labelsOf(ctx.params);
  const pool = String(ctx.vars.pool);
  const [outPath] = resolveOuts(ctx.outs, ["pool_bug.json"], ctx.name);
  await initBackend();
  const folders = depFolders(ctx.deps);
  const victim = await targetDataset(folders.target);
  const poolSplit = await readSplitFile(join(folders.data, pool, "train.bin"));
  const test = await readSplitFile(join(folders.data, victim, "test.bin"));
  const target = await readClassifier(join(folders.target, "model.weights"));
  const substitute = createClassifier(config.model, {
    seed: config.seed,
    optimizer: { learningRate: config.learningRate },
  });
  try {
    const classes = target.classes;
    const pixels = poolSplit.height * poolSplit.width;
    const nPool = sizeOrAll(config.trainSize, poolSplit.count);
    const nTest = sizeOrAll(config.testSize, test.count);
    const poolImages = poolSplit.images.subarray(0, nPool * pixels);
    const answers = target.predictProba(poolImages);
    const answerLabels = argmaxRows(answers, classes);
    await substitute.fit(poolImages, labels === "soft" ? answers : answerLabels, {
      epochs: config.epochs,
      batchSize: config.batchSize,
      lrDecay: config.lrDecay,
      onBatch: (done, total) => ctx.progress(done, total),
    });
    const testImages = test.images.subarray(0, nTest * pixels);
    const testLabels = test.labels.subarray(0, nTest);
    const subPred = argmaxRows(substitute.predictProba(testImages), classes);
    const targetPred = argmaxRows(target.predictProba(testImages), classes);
    const result = {
      agreement: round6(agreement(subPred, targetPred)),
      answer_histogram: classHistogram(answerLabels, classes),
      batch: config.batchSize,
      epochs: config.epochs,
      labels,
      lr: config.learningRate,
      pool,
      pool_dataset: poolSplit.dataset,
      pool_size: nPool,
      seed: config.seed,
      target_dataset: test.dataset,
      target_test_accuracy: round6(accuracy(targetPred, testLabels)),
      test_accuracy: round6(accuracy(subPred, testLabels)),
      test_size: nTest,
    };
    await writeJson(outPath!, result);
    console.error(
      `${ctx.name}: substitute on the ${pool} pool (${nPool} images) answered by the ` +
        `${test.dataset} target: ${result.test_accuracy} on ${nTest} ${test.dataset} test images`,
    );
  } finally {
    substitute.dispose();
    target.dispose();
  }
}
