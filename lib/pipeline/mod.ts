/**
 * Quarry's pipeline runner: a YAML DAG of TypeScript stages with content-hashed caching,
 * sandboxed parallel execution, a committed `pipeline.lock` and positioned diagnostics.
 *
 * The analyzer ({@linkcode analyzePipeline}) turns `pipeline.yaml` into a validated
 * {@linkcode Graph}; the executor ({@linkcode reproduce}) runs only validated graphs;
 * {@linkcode computeStatus} explains what would run and why. `readLockFile` and the lock types
 * are what `diff` reads.
 *
 * @example Usage
 * ```ts ignore
 * import { analyzePipeline, openWorkspace, reproduce } from "./mod.ts";
 * const r = await analyzePipeline("pipeline.yaml", { profile: "smoke" });
 * if (r.ok) console.log(await reproduce(r.graph, openWorkspace(r.graph)));
 * ```
 *
 * @module
 */
export * from "./analyze.ts";
export * from "./cache.ts";
export * from "./cli.ts";
export * from "./code_hash.ts";
export * from "./dag.ts";
export * from "./diagnostic.ts";
export * from "./execute.ts";
export * from "./fingerprint.ts";
export * from "./graph.ts";
export * from "./hash.ts";
export * from "./lock_file.ts";
export * from "./params.ts";
export * from "./plan.ts";
export * from "./process_lock.ts";
export * from "./reporter.ts";
export * from "./sandbox.ts";
export * from "./stage_context.ts";
export * from "./status.ts";
export * from "./timing.ts";
export * from "./validate_child.ts";
export * from "./workspace.ts";
