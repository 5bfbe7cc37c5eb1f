/**
 * Phase 7: stage validation. Each run module is loaded once, its `run` export checked, and its
 * `validate(params, vars)` called for every instance of it; the issues are reported at the
 * param's position (the matrix value, the profile override or the params entry). Modules whose
 * code and instances passed before (the {@linkcode ValidationMemo}) are skipped.
 *
 * @module
 */
import { resolve } from "node:path";
import type { SourceLocation } from "../diagnostic.ts";
import { canonicalJson, sha256 } from "../hash.ts";
import type { ParamIssue, ParamValue } from "../stage_context.ts";
import type { DiagnosticSink, InstanceDraft, StageDraft } from "./common.ts";
import { ancestorLoc } from "./params.ts";

/** A store of passed validations (see {@linkcode AnalyzeOptions.validationMemo}). */
export interface ValidationMemo {
  /** A digest of the module's code (its import closure), or `undefined` when unknown. */
  codeDigest(moduleAbs: string): Promise<string | undefined>;
  /** Whether a validation key passed before. */
  has(key: string): boolean;
  /** Records a passed validation key. */
  add(key: string): void;
}

/** One run module to validate, with every instance that runs it. */
export interface ModuleJob {
  /** Absolute path of the module. */
  readonly module: string;
  /** The instances: name, params, vars. */
  readonly instances: readonly {
    readonly name: string;
    readonly params: Readonly<Record<string, ParamValue>>;
    readonly vars: Readonly<Record<string, ParamValue>>;
  }[];
}

/** What validating one module found. */
export type ModuleOutcome =
  | { readonly load: "failed"; readonly error: string }
  | { readonly load: "no-run" }
  | {
    readonly load: "ok";
    /** Per instance, in job order: its issues, or the first line of what `validate` threw. */
    readonly results: readonly (readonly ParamIssue[] | { readonly threw: string })[];
  };

/**
 * Validates one module's instances. The runner's is `childValidator` (validate_child.ts): the
 * module loads in a read-only child, never in the runner.
 */
export type ModuleValidator = (job: ModuleJob) => Promise<ModuleOutcome>;

/** Inputs of the validation phase. */
export interface ValidateContext {
  readonly workspace: string;
  readonly drafts: readonly StageDraft[];
  readonly instances: readonly InstanceDraft[];
  /** Where each param is written (for issue positions). */
  readonly paramLocs: ReadonlyMap<string, SourceLocation>;
  readonly memo?: ValidationMemo;
  readonly validator: ModuleValidator;
  /** How many modules validate at once (default 4). */
  readonly concurrency?: number;
}

/**
 * Validates every run module; returns the memo keys to record once the whole analysis passed.
 */
export async function validateStages(
  ctx: ValidateContext,
  sink: DiagnosticSink,
): Promise<string[]> {
  const jobs: { draft: StageDraft; users: InstanceDraft[]; module: string; key?: string }[] = [];
  const seen = new Set<string>();
  for (const d of ctx.drafts) {
    if (!d.run) continue;
    const abs = resolve(ctx.workspace, d.run.value);
    if (seen.has(abs)) continue;
    seen.add(abs);
    const users = ctx.instances.filter((i) => resolve(ctx.workspace, i.inst.run) === abs);
    const key = await memoKey(ctx.memo, abs, users);
    if (key && ctx.memo?.has(key)) continue;
    jobs.push({ draft: d, users, module: abs, ...(key ? { key } : {}) });
  }
  const outcomes = await mapLimited(jobs, ctx.concurrency ?? 4, (j) =>
    ctx.validator({
      module: j.module,
      instances: j.users.map((i) => ({
        name: i.inst.name,
        params: i.inst.params,
        vars: i.inst.vars,
      })),
    }));
  const memoKeys: string[] = [];
  jobs.forEach((j, k) => {
    const before = sink.list.length;
    reportOutcome(j.draft, j.users, outcomes[k]!, ctx.paramLocs, sink);
    if (j.key && sink.list.length === before) memoKeys.push(j.key);
  });
  return memoKeys;
}

/** `fn` over `items` with at most `limit` running at once; results in input order. */
async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>) {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const k = next++;
      out[k] = await fn(items[k]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

async function memoKey(
  memo: ValidationMemo | undefined,
  abs: string,
  users: readonly InstanceDraft[],
): Promise<string | undefined> {
  const digest = memo ? await memo.codeDigest(abs).catch(() => undefined) : undefined;
  if (!digest) return undefined;
  return sha256(canonicalJson({
    digest,
    instances: users.map((i) => [i.inst.name, i.inst.params, i.inst.vars]),
  }));
}

function reportOutcome(
  d: StageDraft,
  users: readonly InstanceDraft[],
  outcome: ModuleOutcome,
  paramLocs: ReadonlyMap<string, SourceLocation>,
  sink: DiagnosticSink,
): void {
  const field = `stages.${d.name}.run`;
  if (outcome.load === "failed") {
    sink.err(
      field,
      `Cannot load run module "${d.run!.value}" in ${field}: ${outcome.error}`,
      d.run!.node,
    );
    return;
  }
  if (outcome.load === "no-run") {
    sink.err(
      field,
      `Invalid run module "${
        d.run!.value
      }" in ${field}: expected an exported async function run(ctx)`,
      d.run!.node,
    );
    return;
  }
  users.forEach((i, k) => {
    const r = outcome.results[k] ?? [];
    if ("threw" in r) {
      sink.err(
        `stages.${i.draft.name}.params`,
        `validate() of "${i.inst.run}" threw for ${i.inst.name}: ${r.threw}`,
        i.draft.nameNode,
      );
      return;
    }
    for (const issue of r) reportIssue(i, issue, paramLocs, sink);
  });
}

function reportIssue(
  i: InstanceDraft,
  issue: ParamIssue,
  paramLocs: ReadonlyMap<string, SourceLocation>,
  sink: DiagnosticSink,
): void {
  const matrixEntry = i.draft.matrix.find((m) => m.key === issue.param);
  const loc = matrixEntry
    ? sink.at(
      matrixEntry.values.find((x) => x.value === i.inst.vars[issue.param])?.node ??
        matrixEntry.values[0]?.node,
    )
    : paramLocs.get(issue.param) ?? ancestorLoc(paramLocs, issue.param);
  const decl = i.draft.params.find((p) => p.value === issue.param);
  const message = `Invalid param "${issue.param}" for ${i.inst.name}: ${issue.message}`;
  const location = loc ?? sink.at(decl?.node ?? i.draft.nameNode);
  const dup = sink.list.some((x) =>
    x.message.endsWith(`: ${issue.message}`) && x.field === `params.${issue.param}` &&
    x.location?.line === location.line
  );
  if (dup && loc) return; // one report per param position, not per instance
  sink.push({
    field: `params.${issue.param}`,
    message,
    location,
    ...(decl && loc ? { related: [sink.at(decl.node)] } : {}),
  });
}
