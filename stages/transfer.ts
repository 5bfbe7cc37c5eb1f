/**
 * Stage `transfer` (× dataset, strategy, repeat, budget checkpoint): adversarial examples crafted
 * on the substitute at one report budget, shown to the target (`lib/adversarial/transfer.ts`).
 * The target first classifies the first `transfer.test_size` test images; for each
 * `transfer.eps` and attack (FGSM, PGD) the stage reports transfer success, the substitute's
 * white-box success, the white-box ceiling on the target and the random-sign noise floor, each
 * with its denominator.
 *
 * Deps, in order: the `prepare` folder (its `test.bin`), the `target` folder (`model.weights`),
 * the `select` run's `checkpoints/` folder, and the dataset's `ceiling` out (the ceiling and
 * floor, the same for every substitute, measured once there). Matrix var `queries`: the budget whose checkpoint
 * is attacked. Outs: one JSON file (a metrics file). Params: `transfer.*`.
 *
 * @module
 */

import { join } from "node:path";
import { initBackend, readClassifier } from "../lib/ml/mod.ts";
import { attackModelOf } from "../lib/adversarial/model.ts";
import { readAttackImages } from "../lib/adversarial/inputs.ts";
import { paramsOf, parseReference } from "../lib/adversarial/reference_file.ts";
import { measureTransfer, type Rate } from "../lib/adversarial/transfer.ts";
import { parseTransferParams, transferParamIssues } from "../lib/adversarial/params.ts";
import { checkpointFile } from "../lib/active/round.ts";
import { round6, writeJson } from "../lib/active/experiment.ts";
import type { ParamIssue, ParamValue, StageContext } from "../lib/pipeline/stage_context.ts";

/** Checks the `transfer.*` params and the `queries` matrix var before anything runs. */
export function validate(
  params: Readonly<Record<string, ParamValue>>,
  vars: Readonly<Record<string, ParamValue>>,
): ParamIssue[] {
  const issues = transferParamIssues(params);
  const q = vars.queries;
  if (!(typeof q === "number" && Number.isSafeInteger(q) && q > 0)) {
    issues.push({
      param: "queries",
      message: `expected a positive integer, got ${JSON.stringify(q)}`,
    });
  }
  return issues;
}

/** A rate with its share rounded to 6 decimals (the counts stay exact). */
const rounded = (r: Rate): Rate => ({ ...r, rate: round6(r.rate) });

/** Runs the stage. */
export async function run(ctx: StageContext): Promise<void> {
  const { testSize, config } = parseTransferParams(ctx.params);
  const queries = ctx.vars.queries as number;
  if (ctx.deps.length !== 4 || ctx.outs.length !== 1) {
    throw new TypeError(
      `Invalid stage ${ctx.name}: expected deps [prepare folder, target folder, checkpoints folder, ceiling file] and one out, got ${
        JSON.stringify(ctx.deps)
      } → ${JSON.stringify(ctx.outs)}`,
    );
  }
  const [dataDir, targetDir, checkpointDir, refFile] = ctx.deps as [string, string, string, string];
  const index = JSON.parse(await Deno.readTextFile(join(checkpointDir, "index.json")));
  const entry = (index.checkpoints as { budget: number; queries: number; round: number }[])
    .find((c) => c.budget === queries);
  if (entry === undefined) {
    throw new RangeError(
      `Invalid dep "${checkpointDir}" of ${ctx.name}: no checkpoint at ${queries} queries (the run's seed is larger, or its budget smaller)`,
    );
  }
  await initBackend();
  const images = await readAttackImages(dataDir, testSize);
  const reference = parseReference(await Deno.readTextFile(refFile), refFile, {
    dataset: images.dataset,
    config,
    testSize: images.count,
  });
  const target = await readClassifier(join(targetDir, "model.weights"));
  try {
    const substitute = await readClassifier(join(checkpointDir, checkpointFile(queries)));
    try {
      const result = measureTransfer(
        attackModelOf(substitute),
        attackModelOf(target),
        images.x,
        images.labels,
        config,
        reference,
      );
      await writeJson(ctx.outs[0]!, {
        ...result,
        agreement: round6(result.agreement),
        budget: queries,
        dataset: images.dataset,
        denominators: {
          ceiling: "target_correct",
          floor: "target_correct",
          transfer: "target_correct",
          white_box: "substitute_correct",
        },
        params: paramsOf(config, images.count),
        queries: entry.queries,
        repeat: typeof ctx.vars.repeat === "number" ? ctx.vars.repeat : null,
        round: entry.round,
        rows: result.rows.map((r) => ({
          ...r,
          ceiling: rounded(r.ceiling),
          floor: rounded(r.floor),
          transfer: rounded(r.transfer),
          white_box: rounded(r.white_box),
        })),
        strategy: typeof ctx.vars.strategy === "string" ? ctx.vars.strategy : null,
      });
    } finally {
      substitute.dispose();
    }
  } finally {
    target.dispose();
  }
}
