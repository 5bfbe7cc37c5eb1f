/**
 * Stage `report`: `index.html` (self-contained: figures, tables, targets beside the thesis, the
 * claims table) and `claims.json` (one entry per claim of `lib/report/claims.ts`'s table: `id`,
 * `claim`, `verdict`, `reason`, `test`, `n`, `effect`, `spread`, `unit`, `interval`,
 * `p_adjusted`, `tost`, `note`, `evidence` and every judged comparison under `comparisons`).
 *
 * Deps: the figures folder of stage `plots` (recognised by its `figures.json`), the same run,
 * stopping and target outs the figures were drawn from, and the `pool_bug` outs
 * (`lib/report/load.ts`). Outs: one folder
 * (filled with `index.html` and `claims.json`) or the two files in that order. Params:
 * `report.budgets`, `report.stop_rule` (`lib/report/stage_params.ts`). With the `transfer/`
 * folder among the deps, the two transfer claims (`lib/report/transfer_claims.ts`) join the table.
 * With `report.access_log` set to the path of a `deno task serve --log` file, listed among the
 * deps too (`deps: ["${params.report.access_log}"]`, left out while the param is null), the page
 * gains "What an attack looked like" (`lib/report/attack.ts`): the defender's view.
 *
 * @module
 */

import { join, posix } from "node:path";
import { loadAttackView } from "../lib/report/attack.ts";
import { evaluateClaims, type Figure, loadResults, renderReport } from "../lib/report/mod.ts";
import { parseReportParams, reportParamIssues } from "../lib/report/stage_params.ts";
import { loadTransferResults } from "../lib/report/transfer_results.ts";
import { transferClaims } from "../lib/report/transfer_claims.ts";
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

interface IndexEntry {
  id: string;
  number: number;
  dataset: string;
  title: string;
  caption: string;
  file: string;
}

/** Reads the figures a `plots` out folder lists in its `figures.json`. */
async function readFigures(deps: readonly string[]): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const dep of deps) {
    const indexPath = dep.endsWith(".json") ? dep : join(dep, "figures.json");
    if (!indexPath.endsWith("figures.json")) continue;
    let text: string;
    try {
      text = await Deno.readTextFile(indexPath);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) continue;
      throw e;
    }
    const dir = indexPath.slice(0, indexPath.length - "figures.json".length);
    for (const e of JSON.parse(text) as IndexEntry[]) {
      const svg = await Deno.readTextFile(join(dir, e.file));
      figures.push({ ...e, spec: {}, svg });
    }
  }
  return figures;
}

/**
 * The dep that is the access log named by `report.access_log` (read from the deps, so that a new
 * log reruns the report and the sandbox lets it be read).
 */
function accessLogDep(log: string, deps: readonly string[], stage: string): string {
  const want = posix.normalize(log);
  const dep = deps.find((d) => posix.normalize(d) === want);
  if (dep === undefined) {
    throw new TypeError(
      `Invalid param "report.access_log" of stage ${stage}: "${log}" is not among its deps ${
        JSON.stringify(deps)
      }; add "\${params.report.access_log}" to deps`,
    );
  }
  return dep;
}

/** Runs the stage. */
export async function run(ctx: StageContext): Promise<void> {
  let htmlPath: string, claimsPath: string;
  if (ctx.outs.length === 1 && ctx.outs[0]!.endsWith("/")) {
    htmlPath = join(ctx.outs[0]!, "index.html");
    claimsPath = join(ctx.outs[0]!, "claims.json");
  } else if (ctx.outs.length === 2) {
    [htmlPath, claimsPath] = ctx.outs as [string, string];
  } else {
    throw new TypeError(
      `Invalid outs of stage report: expected one folder or two files (index.html, claims.json), got ${
        JSON.stringify(ctx.outs)
      }`,
    );
  }
  const params = parseReportParams(ctx.params);
  const log = params.accessLog === undefined
    ? undefined
    : accessLogDep(params.accessLog, ctx.deps, ctx.name);
  // The log is no result: its folder is not searched for runs.
  const deps = ctx.deps.filter((d) => d !== log);
  const results = await loadResults(deps);
  const figures = await readFigures(deps);
  const options = {
    ...(params.budgets ? { budgets: params.budgets } : {}),
    stopRule: params.stopRule,
  };
  const claims = [
    ...evaluateClaims(results, options),
    ...transferClaims(results, await loadTransferResults(deps)),
  ];
  const attack = log === undefined ? undefined : await loadAttackView(log);
  const html = renderReport({
    results,
    figures,
    claims,
    ...options,
    ...(attack ? { attack } : {}),
  });
  await writeFileAtomic(htmlPath, html);
  await writeFileAtomic(claimsPath, canonicalJson(claims, 2) + "\n");
  const counts = claims.reduce<Record<string, number>>((m, c) => {
    m[c.verdict] = (m[c.verdict] ?? 0) + 1;
    return m;
  }, {});
  console.error(
    `${ctx.name}: ${claims.length} claims ${JSON.stringify(counts)}, ${figures.length} figures`,
  );
}
