/**
 * Stage `stopping` (thesis Fig. 7): evaluates the stopping rules on finished `select` traces —
 * no training. For every trace, rule (`batch-entropy`: the thesis's, in log10 units;
 * `batch-entropy:thesis-code`, `batch-entropy-nats`, `stopping-set-entropy`,
 * `stabilizing-predictions`; `lib/active/stopping.ts`) and threshold: the round, queries, accuracy
 * and agreement at the stop, or "never stopped"; then the mean over repeats per dataset,
 * strategy, rule and threshold.
 *
 * Deps: `select` outs — folders holding `trace.json` (and `summary.json`, for the dataset,
 * strategy and repeat), or `trace.json` files with their `summary.json` beside them. Outs: `stopping.json` (or one folder). Params:
 * `stopping.alphas`, `stopping.kappa_thresholds`, `stopping.kappa_window`.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { evaluateStopping, parseStoppingParams, parseTraceJson } from "../lib/active/mod.ts";
import { stoppingParamIssues } from "../lib/active/mod.ts";
import { resolveOuts, round6, writeJson } from "../lib/active/experiment.ts";
import { summarizeStopping } from "../lib/active/mod.ts";
import type { ParamIssue, ParamValue, StageContext } from "../lib/pipeline/stage_context.ts";

/** Checks the `stopping.*` params (a negative alpha, a window of 0, …) before anything runs. */
export function validate(
  params: Readonly<Record<string, ParamValue>>,
  _vars: Readonly<Record<string, ParamValue>>,
): ParamIssue[] {
  return stoppingParamIssues(params);
}

async function readOptionalJson(path: string): Promise<Record<string, unknown>> {
  try {
    const value: unknown = JSON.parse(await Deno.readTextFile(path));
    return typeof value === "object" && value !== null ? value as Record<string, unknown> : {};
  } catch {
    return {};
  }
}

/** Runs the stage. */
export async function run(ctx: StageContext): Promise<void> {
  const config = parseStoppingParams(ctx.params);
  const [outPath] = resolveOuts(ctx.outs, ["stopping.json"], ctx.name);
  const runs = [];
  // A `summary.json` dep names its run; the traces are the other deps.
  const traces = ctx.deps.filter((d) => !d.endsWith("/summary.json") && d !== "summary.json");
  for (const [i, dep] of traces.entries()) {
    const isDir = dep.endsWith("/") || (await Deno.stat(dep)).isDirectory;
    const tracePath = isDir ? join(dep, "trace.json") : dep;
    const summary = await readOptionalJson(join(isDir ? dep : dirname(dep), "summary.json"));
    const trace = parseTraceJson(await Deno.readTextFile(tracePath), tracePath);
    const last = trace[trace.length - 1];
    runs.push({
      dataset: typeof summary.dataset === "string" ? summary.dataset : null,
      final_queries: last?.queries ?? null,
      final_test_accuracy: last === undefined ? null : round6(last.test_accuracy),
      repeat: typeof summary.repeat === "number" ? summary.repeat : null,
      results: evaluateStopping(trace, config).map((r) => ({
        ...r,
        agreement: r.agreement === null ? null : round6(r.agreement),
        test_accuracy: r.test_accuracy === null ? null : round6(r.test_accuracy),
      })),
      source: tracePath,
      strategy: typeof summary.strategy === "string" ? summary.strategy : null,
    });
    ctx.progress(i + 1, traces.length);
  }
  await writeJson(outPath!, {
    params: {
      alphas: config.alphas,
      kappa_thresholds: config.kappaThresholds,
      kappa_window: config.kappaWindow,
    },
    runs,
    summary: summarizeStopping(runs),
  });
}
