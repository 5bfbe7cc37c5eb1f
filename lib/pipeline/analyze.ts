/**
 * The analyzer: reads `pipeline.yaml`, applies the profile and `--set` overrides, expands
 * matrices, interpolates `${var}` / `${params.key}`, checks everything (unknown keys, run
 * modules, param keys, out clashes, missing deps, cycles, the stages' own `validate`) and returns
 * a validated {@linkcode Graph} or every problem as a positioned {@linkcode Diagnostic}.
 *
 * It is a composition of phases, one module each under `analyze/`: load (YAML with positions,
 * `load.ts`) → params and profiles (`params.ts`) → stage schema (`schema.ts`) → matrix expansion
 * (`expand.ts`) → the workspace guard (`guard.ts`) → link deps and outs (`link.ts`) → graph:
 * cycles and order (`order.ts`) → stage validation in read-only children (`validate.ts`,
 * `../validate_child.ts`). Each phase reports to one sink; the analysis stops after a phase whose
 * problems would make the next one's answers noise (YAML, a matrix that cannot expand).
 *
 * @module
 */
import { dirname, resolve } from "node:path";
import type { Diagnostic } from "./diagnostic.ts";
import type { Graph } from "./graph.ts";
import type { ParamValue } from "./stage_context.ts";
import { sortDiagnostics } from "./analyze/common.ts";
import { loadPipeline } from "./analyze/load.ts";
import { resolveParams } from "./analyze/params.ts";
import { readStages } from "./analyze/schema.ts";
import { DEFAULT_MAX_INSTANCES, expandInstances } from "./analyze/expand.ts";
import { linkInstances } from "./analyze/link.ts";
import { guardWorkspaceFiles } from "./analyze/guard.ts";
import { reportCycles, topoOrder } from "./analyze/order.ts";
import { type ModuleValidator, validateStages, type ValidationMemo } from "./analyze/validate.ts";
import { childValidator } from "./validate_child.ts";

export { interpolate } from "./analyze/interpolate.ts";
export type {
  ModuleJob,
  ModuleOutcome,
  ModuleValidator,
  ValidationMemo,
} from "./analyze/validate.ts";
export { DEFAULT_MAX_INSTANCES } from "./analyze/expand.ts";

/** Options for {@linkcode analyzePipeline}. */
export interface AnalyzeOptions {
  /** Profile to apply; default: the pipeline's `default_profile`, else none (`default`). */
  readonly profile?: string;
  /** `--set` overrides, applied after the profile, in order. */
  readonly set?: readonly { key: string; value: ParamValue }[];
  /**
   * Load run modules to check their exports and call their `validate` (default true); they load
   * in a read-only child process, never in this one.
   */
  readonly importModules?: boolean;
  /**
   * Remembers validations that passed, so an unchanged module with unchanged params is not
   * loaded again (loading tfjs-heavy stages costs hundreds of milliseconds).
   */
  readonly validationMemo?: ValidationMemo;
  /** The most instances the pipeline may expand to (default {@linkcode DEFAULT_MAX_INSTANCES}). */
  readonly maxInstances?: number;
  /**
   * The modules of a run module's code (its transitive local imports, e.g. from the workspace's
   * `CodeHasher`), which no out may overwrite; default: the run module alone.
   */
  readonly codeFiles?: (moduleAbs: string) => Promise<readonly string[]>;
  /** How a run module is loaded and validated (default: a read-only child, `childValidator`). */
  readonly validator?: ModuleValidator;
}

/** The analyzer's answer: a graph, or the problems that prevent one. */
export type AnalyzeResult =
  | { readonly ok: true; readonly graph: Graph }
  | { readonly ok: false; readonly diagnostics: readonly Diagnostic[] };

/**
 * Analyzes a pipeline file.
 *
 * @example Usage
 * ```ts ignore
 * import { analyzePipeline } from "./analyze.ts";
 * const result = await analyzePipeline("pipeline.yaml", { profile: "smoke" });
 * if (!result.ok) console.error(result.diagnostics);
 * ```
 */
export async function analyzePipeline(
  file: string,
  options: AnalyzeOptions = {},
): Promise<AnalyzeResult> {
  const path = resolve(file);
  const workspace = dirname(path);
  const loaded = loadPipeline(path, file);
  if ("diagnostics" in loaded) return { ok: false, diagnostics: loaded.diagnostics };
  const { src, root, top, sink } = loaded;
  const fail = (): AnalyzeResult => ({ ok: false, diagnostics: sortDiagnostics(sink.list) });

  const { tree, locations, profile, paramsFile } = resolveParams(top, workspace, options, sink);
  if (sink.list.some((d) => d.field === "(yaml)")) return fail(); // a params file that did not load
  const maxInstances = options.maxInstances ?? DEFAULT_MAX_INSTANCES;
  const drafts = readStages(root, top, { workspace, tree, profile, maxInstances }, sink);
  if (drafts.some((d) => d.matrixInvalid)) return fail();
  const instances = expandInstances(drafts, tree, maxInstances, sink);
  await guardWorkspaceFiles(drafts, instances, {
    workspace,
    pipelineFile: src.path,
    ...(paramsFile ? { paramsFile } : {}),
    ...(options.codeFiles ? { codeFiles: options.codeFiles } : {}),
  }, sink);
  const edgeNode = linkInstances(instances, workspace, sink);
  reportCycles(instances, edgeNode, sink);

  let memoKeys: string[] = [];
  if (options.importModules !== false && !sink.failed) {
    memoKeys = await validateStages({
      workspace,
      drafts,
      instances,
      paramLocs: locations,
      ...(options.validationMemo ? { memo: options.validationMemo } : {}),
      validator: options.validator ?? childValidator({ workspace }),
    }, sink);
  }
  if (sink.failed) return fail();
  for (const key of memoKeys) options.validationMemo?.add(key);
  return {
    ok: true,
    graph: {
      file: src.path,
      workspace,
      profile: profile ?? "default",
      params: tree,
      stages: drafts.map((d) => d.name),
      instances: topoOrder(instances).map((i) => i.inst),
    },
  };
}
