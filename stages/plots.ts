/**
 * Stage `plots`: the thesis's Figures 2–7 as SVG, from the runs' traces, the stopping
 * evaluations and the targets (deps: their out folders or files, see `lib/report/load.ts`), plus
 * Fig. 8 (ActiveThief's strategies) and Fig. 9 (transfer success, from the `transfer/` folder,
 * `lib/report/transfer_results.ts`).
 *
 * Outs: one folder, filled with `<figure id>.svg` (e.g. `fig3-mnist.svg`), the Vega-Lite spec
 * beside each (`<id>.vl.json`) and `figures.json`, the index the report stage reads (id, number,
 * dataset, title, caption, file). Params: `report.budgets`, `report.stop_rule`
 * (`lib/report/stage_params.ts`).
 *
 * @module
 */

import { join } from "node:path";
import { buildFigures, loadResults } from "../lib/report/mod.ts";
import { parseReportParams, reportParamIssues } from "../lib/report/stage_params.ts";
import { loadTransferResults } from "../lib/report/transfer_results.ts";
import type { ParamIssue, ParamValue, StageContext } from "../lib/pipeline/stage_context.ts";
import { canonicalJson } from "../lib/util/json.ts";
import { writeFileAtomic } from "../lib/util/fs.ts";

/** Checks the `report.*` params. */
export function validate(
  params: Readonly<Record<string, ParamValue>>,
  _vars: Readonly<Record<string, ParamValue>>,
): ParamIssue[] {
  return reportParamIssues(params);
}

/** Runs the stage. */
export async function run(ctx: StageContext): Promise<void> {
  const out = ctx.outs[0];
  if (ctx.outs.length !== 1 || !out?.endsWith("/")) {
    throw new TypeError(
      `Invalid outs of stage plots: expected one folder (ending in "/"), got ${
        JSON.stringify(ctx.outs)
      }`,
    );
  }
  const params = parseReportParams(ctx.params);
  const results = await loadResults(ctx.deps);
  const figures = await buildFigures(results, {
    ...(params.budgets ? { budgets: params.budgets } : {}),
    stopRule: params.stopRule,
    transfer: await loadTransferResults(ctx.deps),
  });
  await Deno.mkdir(out, { recursive: true });
  const index = [];
  for (const [i, f] of figures.entries()) {
    ctx.progress(i, figures.length);
    await writeFileAtomic(join(out, `${f.id}.svg`), f.svg);
    await writeFileAtomic(join(out, `${f.id}.vl.json`), canonicalJson(f.spec, 2) + "\n");
    const { id, number, dataset, title, caption } = f;
    index.push({ id, number, dataset, title, caption, file: `${id}.svg` });
  }
  ctx.progress(figures.length, figures.length);
  await writeFileAtomic(join(out, "figures.json"), canonicalJson(index, 2) + "\n");
  console.error(`${ctx.name}: ${figures.length} figures from ${results.runs.length} runs`);
}
