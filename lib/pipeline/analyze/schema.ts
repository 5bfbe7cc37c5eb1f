/**
 * Phase 3: the stage schema. Reads each entry of `stages:` into a {@linkcode StageDraft}
 * (known keys, value shapes, run module present, declared params known, matrix lists).
 *
 * @module
 */
import { resolve } from "node:path";
import { isScalar } from "yaml";
import type { Node, Pair, YAMLMap } from "yaml";
import { exists } from "../fs_util.ts";
import { getParam, type ParamTree } from "../params.ts";
import type { ParamValue } from "../stage_context.ts";
import { asMap, asSeq, pairKey, toPlain, type YamlSource } from "../yaml_source.ts";
import { type DiagnosticSink, type Located, type MatrixAxis, quoteList } from "./common.ts";
import type { StageDraft } from "./common.ts";
import type { TopEntry } from "./load.ts";
import { interpolate, resolveWhole } from "./interpolate.ts";

/** The keys a stage may have. */
export const STAGE_KEYS = [
  "run",
  "desc",
  "deps",
  "params",
  "outs",
  "metrics",
  "plots",
  "matrix",
  "net",
  // false: the stage reads only the committed files of its deps (not in the key)
  "needs_large",
  "env",
  "timeout",
  // read by executor/slurm.ts (sbatch --cpus-per-task/--mem/--time), not part of the key
  "resources",
] as const;
const NAME_REGEXP = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const ENV_REGEXP = /^[A-Z_][A-Z0-9_]*$/;
const DURATION_REGEXP = /^(\d+(?:\.\d+)?)\s*(s|m|h)$/;

/** What the schema phase needs besides the file. */
export interface SchemaContext {
  /** The workspace folder (run modules are resolved against it). */
  readonly workspace: string;
  /** The resolved params tree (matrix lists from params, declared keys). */
  readonly tree: ParamTree;
  /** The active profile (for messages). */
  readonly profile: string | undefined;
  /** The most instances a stage may expand to (a larger count is refused unexpanded). */
  readonly maxInstances: number;
}

/** Reads `stages:`; stages that are not mappings or have bad names are left out. */
export function readStages(
  root: YAMLMap,
  top: ReadonlyMap<string, TopEntry>,
  ctx: SchemaContext,
  sink: DiagnosticSink,
): StageDraft[] {
  const drafts: StageDraft[] = [];
  const entry = top.get("stages");
  const sm = asMap(entry?.value);
  if (!entry) {
    sink.push({
      field: "stages",
      message: `Missing "stages" in "${sink.src.display}": expected a mapping of stage names`,
      location: sink.at(root),
    });
  } else if (!sm) {
    sink.err(
      "stages",
      "Invalid stages: expected a mapping of stage names",
      entry.value ?? entry.keyNode,
    );
  }
  for (const pair of sm?.items ?? []) {
    const d = readStage(pair, drafts.length, ctx, sink);
    if (d) drafts.push(d);
  }
  return drafts;
}

function readStage(
  pair: Pair<unknown, Node | null>,
  index: number,
  ctx: SchemaContext,
  sink: DiagnosticSink,
): StageDraft | undefined {
  const name = pairKey(pair);
  const f = `stages.${name}`;
  if (!NAME_REGEXP.test(name)) {
    sink.err(
      f,
      `Invalid stage name "${name}": expected letters, digits, "_", "." or "-"`,
      pair.key,
    );
    return undefined;
  }
  const stm = asMap(pair.value);
  if (!stm) {
    sink.err(
      f,
      `Invalid stage "${name}": expected a mapping with at least "run"`,
      pair.value ?? pair.key,
    );
    return undefined;
  }
  const d: StageDraft = {
    name,
    index,
    nameNode: pair.key,
    deps: [],
    params: [],
    outs: [],
    metrics: [],
    plots: [],
    net: [],
    matrix: [],
  };
  for (const sp of stm.items) readStageKey(d, sp, ctx, sink);
  if (!d.run) {
    if (!stm.items.some((p) => pairKey(p) === "run")) {
      sink.err(f, `Missing "run" in ${f}: expected the path of a TypeScript module`, pair.key);
    }
  } else if (!exists(resolve(ctx.workspace, d.run.value))) {
    sink.err(`${f}.run`, `Missing run module in ${f}.run: "${d.run.value}" not found`, d.run.node);
  }
  for (const p of d.params) {
    if (p.value.includes("${")) continue;
    if (getParam(ctx.tree, p.value) === undefined) {
      sink.err(
        `${f}.params`,
        `Unknown param key "${p.value}" in ${f}.params: not in params${
          ctx.profile ? ` (profile "${ctx.profile}")` : ""
        }`,
        p.node,
      );
    }
  }
  return d;
}

function readStageKey(
  d: StageDraft,
  sp: Pair<unknown, Node | null>,
  ctx: SchemaContext,
  sink: DiagnosticSink,
): void {
  const key = pairKey(sp);
  const v = sp.value;
  const f = `stages.${d.name}`;
  const kf = `${f}.${key}`;
  switch (key) {
    case "run":
      if (isScalar(v) && typeof v.value === "string") d.run = { value: v.value, node: v };
      else sink.err(kf, `Invalid ${kf}: expected the path of a TypeScript module`, v ?? sp.key);
      break;
    case "desc":
      d.desc = String(toPlain(sink.src, v) ?? "");
      break;
    case "deps":
    case "params":
    case "outs":
    case "metrics":
    case "plots":
    case "net": {
      const list = stringList(v, kf, (m, n) => sink.err(kf, m, n ?? sp.key));
      d[key] = list;
      break;
    }
    case "env":
      d.env = readEnv(v, kf, (m, n) => sink.err(kf, m, n ?? sp.key));
      break;
    case "timeout": {
      const t = parseTimeout(isScalar(v) ? v.value : v);
      if (t === undefined) {
        sink.err(
          kf,
          `Invalid ${kf}: expected a positive number of seconds or a duration like "90s", "30m", "2h"`,
          v ?? sp.key,
        );
      } else d.timeout = t;
      break;
    }
    case "needs_large":
      if (isScalar(v) && typeof v.value === "boolean") d.needsLarge = v.value;
      else sink.err(kf, `Invalid ${kf}: expected true or false`, v ?? sp.key);
      break;
    case "matrix":
      readMatrix(d, v ?? sp.key, kf, ctx, sink);
      break;
    case "resources": // checked by executor/slurm.ts
      break;
    default:
      sink.err(
        kf,
        `Unknown key "${key}" in ${f}: expected one of ${quoteList(STAGE_KEYS)}`,
        sp.key,
      );
  }
}

function readEnv(
  v: unknown,
  field: string,
  fail: (m: string, node?: unknown) => void,
): string[] {
  const names = new Set<string>();
  for (const item of stringList(v, field, fail)) {
    if (ENV_REGEXP.test(item.value)) names.add(item.value);
    else {
      fail(
        `Invalid item "${item.value}" in ${field}: expected an environment variable name (A-Z, 0-9, "_")`,
        item.node,
      );
    }
  }
  return [...names].sort();
}

/**
 * A stage `timeout:` in seconds: a positive number, or a string of a number and a unit (`s`, `m`,
 * `h`); `undefined` when it is neither.
 *
 * @example Usage
 * ```ts
 * import { parseTimeout } from "./schema.ts";
 * if (parseTimeout("30m") !== 1800 || parseTimeout(90) !== 90) throw new Error("bad timeout");
 * if (parseTimeout("soon") !== undefined || parseTimeout(0) !== undefined) throw new Error("!");
 * ```
 */
export function parseTimeout(value: unknown): number | undefined {
  let seconds: number | undefined;
  if (typeof value === "number") seconds = value;
  else if (typeof value === "string") {
    const m = DURATION_REGEXP.exec(value.trim());
    if (m) seconds = Number(m[1]) * { s: 1, m: 60, h: 3600 }[m[2] as "s" | "m" | "h"];
  }
  return seconds !== undefined && Number.isFinite(seconds) && seconds > 0 ? seconds : undefined;
}

function readMatrix(
  d: StageDraft,
  v: unknown,
  kf: string,
  ctx: SchemaContext,
  sink: DiagnosticSink,
): void {
  const mm = asMap(v);
  if (!mm) {
    sink.err(kf, `Invalid ${kf}: expected a mapping of names to lists`, v);
    d.matrixInvalid = true;
    return;
  }
  for (const mp of mm.items) {
    const mk = pairKey(mp);
    const mf = `${kf}.${mk}`;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(mk) || mk === "params") {
      sink.err(
        mf,
        `Invalid matrix key "${mk}": expected an identifier other than "params"`,
        mp.key,
      );
      continue;
    }
    const fail = (m: string, n?: unknown) => sink.err(mf, m, n ?? mp.key);
    const values = matrixValues(sink.src, mp.value, mf, ctx, fail);
    if (values) d.matrix.push({ key: mk, values });
    else d.matrixInvalid = true;
  }
}

function stringList(
  v: unknown,
  field: string,
  fail: (m: string, node?: unknown) => void,
): Located<string>[] {
  if (v === null || v === undefined) return [];
  if (isScalar(v) && typeof v.value === "string") return [{ value: v.value, node: v }];
  const seq = asSeq(v);
  if (!seq) {
    fail(`Invalid ${field}: expected a list of strings`, v);
    return [];
  }
  const out: Located<string>[] = [];
  for (const item of seq.items) {
    if (isScalar(item) && (typeof item.value === "string" || typeof item.value === "number")) {
      out.push({ value: String(item.value), node: item });
    } else fail(`Invalid item in ${field}: expected a string`, item);
  }
  return out;
}

function matrixValues(
  src: YamlSource,
  v: unknown,
  field: string,
  ctx: SchemaContext,
  fail: (m: string, node?: unknown) => void,
): MatrixAxis["values"] | undefined {
  const tree = ctx.tree;
  if (isScalar(v) && typeof v.value === "string") {
    return matrixFromParam(v as { value: string }, field, ctx, fail);
  }
  const seq = asSeq(v);
  if (!seq) {
    fail(`Invalid ${field}: expected a list of values`, v);
    return undefined;
  }
  const items = seq.items.map((item) => {
    let value = toPlain(src, item) as ParamValue;
    if (typeof value === "string" && value.includes("${")) {
      const r = interpolate(value, {}, tree);
      value = typeof r === "object" ? value : r;
    }
    return { value, node: item };
  });
  if (!items.length) {
    fail(`Invalid ${field}: expected a non-empty list`, v);
    return undefined;
  }
  return checkScalars(items, field, fail);
}

/** A matrix list written as `${params.key}`: a list, or a count `n` meaning `0 .. n-1`. */
function matrixFromParam(
  v: { value: string },
  field: string,
  ctx: SchemaContext,
  fail: (m: string, node?: unknown) => void,
): MatrixAxis["values"] | undefined {
  const tree = ctx.tree;
  const r = interpolate(v.value, {}, tree);
  if (typeof r === "object" && "error" in r) {
    fail(`Invalid ${field}: ${r.error}`, v);
    return undefined;
  }
  let value: unknown = r;
  if (typeof r === "string" && /^\$\{[^}]*\}$/.test(v.value.trim())) {
    value = resolveWhole(v.value.trim(), tree);
  }
  if ((typeof value === "number" && value === 0) || (Array.isArray(value) && !value.length)) {
    fail(
      `Invalid ${field}: "${v.value}" gives no values (${
        JSON.stringify(value)
      }), so the stage would have no instances: expected a count >= 1 or a non-empty list`,
      v,
    );
    return undefined;
  }
  if (typeof value === "number" && value > ctx.maxInstances) {
    fail(tooMany(field, value, ctx.maxInstances), v);
    return undefined;
  }
  if (typeof value === "number" && Number.isInteger(value) && value > 0) {
    return Array.from({ length: value }, (_, i) => ({ value: i, node: v }));
  }
  if (Array.isArray(value)) {
    return checkScalars(value.map((x) => ({ value: x, node: v })), field, fail);
  }
  fail(
    `Invalid ${field}: expected a list (or a param holding a list or a count), got ${
      JSON.stringify(value)
    }`,
    v,
  );
  return undefined;
}

function checkScalars(
  items: Located<ParamValue>[],
  field: string,
  fail: (m: string, node?: unknown) => void,
) {
  for (const it of items) {
    if (it.value === null || typeof it.value === "object") {
      fail(`Invalid value in ${field}: expected a string, number or boolean`, it.node);
      return undefined;
    }
  }
  return items;
}

/** The message for a matrix that would expand past the limit. */
export function tooMany(field: string, count: number, limit: number): string {
  return `Too many instances in ${field}: the matrix expands to ${count} instances, more than the limit of ${limit} (raise it with --max-instances N)`;
}
