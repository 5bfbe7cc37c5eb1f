/**
 * Stage `seeding` (thesis Fig. 2; matrix over `dataset`, `seeding`, `repeat`): for each seed
 * size in `seeding.sizes`, choose a seed set with the method (`random`, `cluster-N`,
 * `cluster:thesis-code`, …), train a fresh substitute on it once (round 0 of the loop, same
 * recipe as `select`) and measure it. Writes `seeding.json`: one entry per seed size with test
 * accuracy, agreement with the target and the seed set's mean entropy.
 *
 * Deps: as `select`. Outs: `seeding.json` (or one folder). Params: `seeding.sizes` and the
 * `active.*` settings (`active.seed_size` and `active.budget` are not used: each size is its own
 * budget).
 *
 * @module
 */

import {
  activeParamIssues,
  chooseSeed,
  parseActiveParams,
  parseSeedingSizes,
  runActiveLearning,
  seedingParamIssues,
} from "../lib/active/mod.ts";
import {
  loadExperiment,
  resolveInputs,
  resolveOuts,
  round6,
  writeJson,
} from "../lib/active/experiment.ts";
import type { ParamIssue, ParamValue, StageContext } from "../lib/pipeline/stage_context.ts";

/** Checks `seeding.sizes` and the `active.*` params before anything runs. */
export function validate(
  params: Readonly<Record<string, ParamValue>>,
  vars: Readonly<Record<string, ParamValue>>,
): ParamIssue[] {
  return [
    ...seedingParamIssues(params),
    ...activeParamIssues(params, vars, { checkBudget: false }),
  ];
}

/** Runs the stage. */
export async function run(ctx: StageContext): Promise<void> {
  const settings = parseActiveParams(ctx.params, ctx.vars, { checkBudget: false });
  const sizes = parseSeedingSizes(ctx.params);
  const inputs = resolveInputs(ctx.deps, ctx.name);
  const [outPath] = resolveOuts(ctx.outs, ["seeding.json"], ctx.name);
  const exp = await loadExperiment(inputs, settings);
  try {
    const started = performance.now();
    const results = [];
    ctx.progress(0, sizes.length);
    // Seeding is prefix-stable: rank the pool once for the largest size, take prefixes.
    const ranking = await chooseSeed(exp.learner, exp.data, settings.loop, sizes.at(-1)!);
    for (const [i, size] of sizes.entries()) {
      const validation = settings.loop.validationSize ?? 0;
      const loop = {
        ...settings.loop,
        seedSize: size,
        seedIndices: ranking.slice(0, size),
        budget: size + validation,
        rounds: 0,
      };
      const result = await runActiveLearning(exp.learner, exp.oracle(loop.budget), exp.data, loop);
      const row = result.trace[0]!;
      results.push({
        agreement: round6(row.agreement),
        queries: row.queries,
        seed_entropy: row.batch_entropy === null ? null : round6(row.batch_entropy),
        seed_size: size,
        test_accuracy: round6(row.test_accuracy),
      });
      console.error(
        `${ctx.name}: seed ${size} accuracy ${row.test_accuracy.toFixed(4)} agreement ${
          row.agreement.toFixed(4)
        }`,
      );
      ctx.progress(i + 1, sizes.length);
    }
    await writeJson(outPath!, {
      dataset: exp.dataset,
      recipe: settings.loop.recipe,
      repeat: settings.repeat,
      results,
      seed: settings.loop.seed,
      seed_clusters: settings.loop.seeding === "random" ? null : settings.loop.seedClusters ?? null,
      seeding: settings.loop.seeding,
      target_test_accuracy: round6(exp.targetTestAccuracy),
    });
    // Wall-clock time goes to the log only, so that the out is reproducible bytes.
    console.error(
      `${ctx.name}: ${sizes.length} seed sizes in ${
        ((performance.now() - started) / 1000).toFixed(1)
      } s`,
    );
  } finally {
    exp.dispose();
  }
}
