/**
 * Stage `prepare` (matrix over `dataset`): reads a registered dataset's original IDX files from
 * the data directory (param `data.dir`, overridden by `$QUARRY_DATA`; downloaded from the
 * dataset's mirror and verified when missing and `data.download` is true), and writes compact
 * tensor files for the train and test splits plus a metrics JSON (counts, class histograms).
 *
 * Outs, in order: the train split file, the test split file, the metrics JSON — or a single
 * folder (ending in `/`), filled with `train.bin`, `test.bin` and `metrics.json`.
 *
 * @module
 */

import { join } from "node:path";
import {
  classHistogram,
  DATASET_NAMES,
  loadDataset,
  resolveDataDir,
  writeSplitFile,
} from "../lib/data/mod.ts";
import type { Split } from "../lib/data/mod.ts";
import { canonicalJson } from "../lib/util/json.ts";
import { writeFileAtomic } from "../lib/util/fs.ts";
import type { ParamIssue, ParamValue, StageContext } from "../lib/pipeline/stage_context.ts";

/** Checks the matrix value `dataset` and the params `data.dir` and `data.download`. */
export function validate(
  params: Readonly<Record<string, ParamValue>>,
  vars: Readonly<Record<string, ParamValue>>,
): ParamIssue[] {
  const issues: ParamIssue[] = [];
  const dataset = vars.dataset;
  if (typeof dataset !== "string" || !DATASET_NAMES.includes(dataset)) {
    issues.push({
      param: "dataset",
      message: `expected one of ${DATASET_NAMES.map((n) => `"${n}"`).join(", ")}, got ${
        JSON.stringify(dataset)
      }`,
    });
  }
  const dir = params["data.dir"];
  if (dir !== undefined && dir !== null && typeof dir !== "string") {
    issues.push({ param: "data.dir", message: `expected a path, got ${JSON.stringify(dir)}` });
  }
  const download = params["data.download"];
  if (download !== undefined && typeof download !== "boolean") {
    issues.push({
      param: "data.download",
      message: `expected true or false, got ${JSON.stringify(download)}`,
    });
  }
  return issues;
}

/** Where the three outputs go, from the declared outs. */
export function prepareOuts(outs: readonly string[]): {
  train: string;
  test: string;
  metrics: string;
} {
  if (outs.length === 1 && outs[0]!.endsWith("/")) {
    const dir = outs[0]!;
    return {
      train: join(dir, "train.bin"),
      test: join(dir, "test.bin"),
      metrics: join(dir, "metrics.json"),
    };
  }
  if (outs.length !== 3 || !outs[2]!.endsWith(".json")) {
    throw new TypeError(
      `Invalid outs of stage prepare: expected [train file, test file, metrics .json] or one ` +
        `folder, got ${JSON.stringify(outs)}`,
    );
  }
  return { train: outs[0]!, test: outs[1]!, metrics: outs[2]! };
}

function splitMetrics(split: Split, classes: number) {
  return { count: split.count, histogram: classHistogram(split.labels, classes) };
}

/** Runs the stage. */
export async function run(ctx: StageContext): Promise<void> {
  const issues = validate(ctx.params, ctx.vars);
  if (issues.length > 0) {
    throw new RangeError(`Invalid param "${issues[0]!.param}": ${issues[0]!.message}`);
  }
  const name = ctx.vars.dataset as string;
  const paths = prepareOuts(ctx.outs);
  const dir = resolveDataDir(ctx.params["data.dir"] as string | null | undefined);
  const download = ctx.params["data.download"] !== false;
  ctx.progress(0, 3);
  const ds = await loadDataset(name, {
    dir,
    download,
    log: (line) => console.error(`prepare@${name}: ${line}`),
  });
  ctx.progress(1, 3);
  const classes = [...ds.info.classes];
  await writeSplitFile(paths.train, { ...ds.train, dataset: name, split: "train", classes });
  await writeSplitFile(paths.test, { ...ds.test, dataset: name, split: "test", classes });
  ctx.progress(2, 3);
  const metrics = {
    classes,
    dataset: name,
    image: { height: ds.train.height, width: ds.train.width },
    test: splitMetrics(ds.test, classes.length),
    train: splitMetrics(ds.train, classes.length),
  };
  await writeFileAtomic(paths.metrics, canonicalJson(metrics, 2) + "\n");
  ctx.progress(3, 3);
}
