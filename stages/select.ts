/**
 * Stage `select` (matrix over `dataset`, `strategy`, `repeat`, …): one ActiveThief run — seed,
 * then selection rounds until the budget — with the substitute trained as `active.recipe` says.
 * Writes the per-round trace (`trace.json`, `trace.csv`, columns of `lib/active/trace.ts`) and a
 * summary (`summary.json`: settings, final accuracy and agreement, the target's accuracy).
 *
 * Deps: the prepared train and test splits and the target's weights (three files, or the
 * `prepare` and `target` folders). Outs: `trace.json`, `trace.csv`, `checkpoints/`,
 * `summary.json`, or one folder. `checkpoints/` holds the substitute's weights at each report
 * budget the run reaches, `q<budget>.weights` (the last round with at most that many queries;
 * large, git-ignored, kept in the cache), and `index.json` listing them with their round.
 * Params: `active.*` (see `lib/active/params.ts`) and `report.budgets` (the checkpoints); matrix
 * vars `strategy`, `seeding`, `seed_size`, `batch`, `budget`, `recipe`, `labels`, `answer`,
 * `repeat` override the `active.*` ones.
 *
 * @module
 */

import {
  activeParamIssues,
  type Checkpoint,
  checkpointFile,
  parseActiveParams,
  runActiveLearning,
  traceToCsv,
  traceToJson,
} from "../lib/active/mod.ts";
import {
  loadExperiment,
  resolveInputs,
  resolveOuts,
  round6,
  writeJson,
} from "../lib/active/experiment.ts";
import { join } from "node:path";
import { writeFileAtomic } from "../lib/util/fs.ts";
import type { ParamIssue, ParamValue, StageContext } from "../lib/pipeline/stage_context.ts";
import { parseReportParams, reportParamIssues } from "../lib/report/stage_params.ts";

/** Checks the `active.*` params and matrix overrides before anything runs. */
export function validate(
  params: Readonly<Record<string, ParamValue>>,
  vars: Readonly<Record<string, ParamValue>>,
): ParamIssue[] {
  return [...activeParamIssues(params, vars), ...reportParamIssues(params)];
}

/** Runs the stage. */
export async function run(ctx: StageContext): Promise<void> {
  const settings = parseActiveParams(ctx.params, ctx.vars);
  const { budgets = [] } = parseReportParams(ctx.params);
  const inputs = resolveInputs(ctx.deps, ctx.name);
  const [tracePath, csvPath, checkpointDir, summaryPath] = resolveOuts(
    ctx.outs,
    ["trace.json", "trace.csv", "checkpoints/", "summary.json"],
    ctx.name,
  );
  const exp = await loadExperiment(inputs, settings);
  try {
    const started = performance.now();
    const loop = { ...settings.loop, checkpoints: budgets };
    const result = await runActiveLearning(exp.learner, exp.oracle(loop.budget), exp.data, loop, {
      onRound: (row) =>
        console.error(
          `${ctx.name}: round ${row.round} queries ${row.queries} accuracy ${
            row.test_accuracy.toFixed(4)
          } agreement ${row.agreement.toFixed(4)}`,
        ),
      progress: (done, total) => ctx.progress(done, total),
    });
    const seconds = (performance.now() - started) / 1000;
    const last = result.trace[result.trace.length - 1]!;
    await writeFileAtomic(tracePath!, traceToJson(result.trace));
    await writeFileAtomic(csvPath!, traceToCsv(result.trace));
    await writeCheckpoints(checkpointDir!, result.checkpoints);
    await writeJson(summaryPath!, {
      answer: settings.answer,
      batch: loop.batchSize,
      budget: loop.budget,
      dataset: exp.dataset,
      final_agreement: round6(last.agreement),
      final_test_accuracy: round6(last.test_accuracy),
      labels: loop.labels,
      pool_size: exp.data.pool.length / exp.data.imageSize,
      queries: result.spent,
      recipe: loop.recipe,
      repeat: settings.repeat,
      rounds: result.trace.length - 1,
      seed: loop.seed,
      seed_clusters: loop.seeding === "random" ? null : loop.seedClusters ?? null,
      seed_size: loop.seedSize,
      seeding: loop.seeding,
      strategy: loop.strategy,
      target_test_accuracy: round6(exp.targetTestAccuracy),
      validation: loop.validationSize ?? 0,
    });
    // Wall-clock time goes to the log, not to the outs, so that the outs are reproducible bytes.
    console.error(`${ctx.name}: ${result.trace.length - 1} rounds in ${seconds.toFixed(1)} s`);
  } finally {
    exp.dispose();
  }
}

/** Writes `q<budget>.weights` per checkpoint and `index.json` listing them, ascending. */
async function writeCheckpoints(dir: string, checkpoints: readonly Checkpoint[]): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  const index = [];
  for (const c of checkpoints) {
    const file = checkpointFile(c.budget);
    await writeFileAtomic(join(dir, file), c.weights);
    index.push({ budget: c.budget, file, queries: c.queries, round: c.round });
  }
  await writeJson(join(dir, "index.json"), { checkpoints: index });
}
