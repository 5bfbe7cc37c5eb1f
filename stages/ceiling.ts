/**
 * Stage `ceiling` (× dataset): the target's side of every transfer run on the dataset, measured
 * once — examples crafted on the target itself (the white-box ceiling) and random-sign noise (the
 * floor), for each `transfer.eps` and attack, on the first `transfer.test_size` test images
 * (`measureReference` in `lib/adversarial/transfer.ts`). The `transfer` instances read it.
 *
 * Deps, in order: the `prepare` folder (its `test.bin`), the `target` folder (`model.weights`).
 * Outs: one JSON file (a metrics file). Params: `transfer.*`.
 *
 * @module
 */

import { join } from "node:path";
import { initBackend, readClassifier } from "../lib/ml/mod.ts";
import { attackModelOf } from "../lib/adversarial/model.ts";
import { readAttackImages } from "../lib/adversarial/inputs.ts";
import { measureReference } from "../lib/adversarial/transfer.ts";
import { referenceJson } from "../lib/adversarial/reference_file.ts";
import { parseTransferParams, transferParamIssues } from "../lib/adversarial/params.ts";
import { round6, writeJson } from "../lib/active/experiment.ts";
import type { ParamIssue, ParamValue, StageContext } from "../lib/pipeline/stage_context.ts";

/** Checks the `transfer.*` params before anything runs. */
export function validate(params: Readonly<Record<string, ParamValue>>): ParamIssue[] {
  return transferParamIssues(params);
}

/** Runs the stage. */
export async function run(ctx: StageContext): Promise<void> {
  const { testSize, config } = parseTransferParams(ctx.params);
  if (ctx.deps.length !== 2 || ctx.outs.length !== 1) {
    throw new TypeError(
      `Invalid stage ${ctx.name}: expected deps [prepare folder, target folder] and one out, got ${
        JSON.stringify(ctx.deps)
      } → ${JSON.stringify(ctx.outs)}`,
    );
  }
  const [dataDir, targetDir] = ctx.deps as [string, string];
  await initBackend();
  const images = await readAttackImages(dataDir, testSize);
  const target = await readClassifier(join(targetDir, "model.weights"));
  try {
    const ref = measureReference(attackModelOf(target), images.x, images.labels, config);
    await writeJson(ctx.outs[0]!, referenceJson(ref, config, images.dataset, round6));
  } finally {
    target.dispose();
  }
}
