/**
 * Stage `select` (matrix over `dataset`, `strategy`, `repeat`, …): one ActiveThief run — seed,
 * then selection rounds until the budget — with the substitute trained as `active.recipe` says.
 * Writes the per-round trace (`trace.json`, `trace.csv`, columns of `lib/active/trace.ts`) and a
 * summary (`summary.json`: settings, final accuracy and agreement, the target's accuracy).
 *
 * Deps: the prepared train and test splits and the target's weights (three files, or the
 * `prepare` and `target` folders). Outs: `trace.json`, `trace.csv`, `summary.json`, or one
 * folder. Params: `active.*` (see `lib/active/params.ts`); matrix vars `strategy`, `seeding`,
 * `seed_size`, `batch`, `budget`, `recipe`, `labels`, `answer`, `repeat` override them.
 *
 * @module
 */

import {
  activeParamIssues,
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
import { writeFileAtomic } from "../lib/util/fs.ts";
import type { ParamIssue, ParamValue, StageContext } from "../lib/pipeline/stage_context.ts";

/** Checks the `active.*` params and matrix overrides before anything runs. */
export function validate(
  params: Readonly<Record<string, ParamValue>>,
  vars: Readonly<Record<string, ParamValue>>,
): ParamIssue[] {
  return activeParamIssues(params, vars);
}

/** Runs the stage. */
export async function run(ctx: StageContext): Promise<void> {
  const settings = parseActiveParams(ctx.params, ctx.vars);
  const inputs = resolveInputs(ctx.deps, ctx.name);
  const [tracePath, csvPath, summaryPath] = resolveOuts(
    ctx.outs,
    ["trace.json", "trace.csv", "summary.json"],
    ctx.name,
  );
  const exp = await loadExperiment(inputs, settings);
  try {
    const started = performance.now();
    const { loop } = settings;
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
