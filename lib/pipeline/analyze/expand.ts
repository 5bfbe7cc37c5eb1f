/**
 * Phase 4: matrix expansion. Counts each stage's instances first (the product of its matrix
 * lists) and refuses a pipeline past the limit before building any; then builds every instance
 * with `${var}` / `${params.key}` interpolated into its params, deps, outs and net hosts.
 *
 * @module
 */
import { isAbsolute } from "node:path";
import { getParam, type ParamTree } from "../params.ts";
import type { Instance } from "../graph.ts";
import type { ParamValue } from "../stage_context.ts";
import type { DiagnosticSink, InstanceDraft, Located, MatrixAxis, StageDraft } from "./common.ts";
import { interpolate, normalizePath, resolveWhole, scalarText } from "./interpolate.ts";
import { tooMany } from "./schema.ts";

/** The default of {@linkcode AnalyzeOptions.maxInstances}. */
export const DEFAULT_MAX_INSTANCES = 100_000;

/**
 * Expands every stage into instances; reports duplicate instance names. Returns no instances
 * when the counts pass the limit.
 */
export function expandInstances(
  drafts: readonly StageDraft[],
  tree: ParamTree,
  maxInstances: number,
  sink: DiagnosticSink,
): InstanceDraft[] {
  if (!withinLimit(drafts, maxInstances, sink)) return [];
  const instances: InstanceDraft[] = [];
  for (const d of drafts) {
    for (const vars of crossProduct(d.matrix)) {
      instances.push(buildInstance(d, vars, tree, instances.length, sink));
    }
  }
  const seen = new Set<string>();
  for (const i of instances) {
    if (seen.has(i.inst.name)) {
      sink.err(
        `stages.${i.draft.name}.matrix`,
        `Duplicate instance name "${i.inst.name}" in stages.${i.draft.name}: matrix values must be distinct`,
        i.draft.nameNode,
      );
    }
    seen.add(i.inst.name);
  }
  return instances;
}

/** Whether the stages' instance counts (products of list lengths) stay within the limit. */
function withinLimit(drafts: readonly StageDraft[], max: number, sink: DiagnosticSink): boolean {
  let total = 0;
  for (const d of drafts) {
    const count = d.matrix.reduce((n, m) => n * m.values.length, 1);
    total += count;
    if (count > max) {
      sink.err(
        `stages.${d.name}.matrix`,
        tooMany(`stages.${d.name}.matrix`, count, max),
        d.nameNode,
      );
      return false;
    }
    if (total > max) {
      sink.err(
        `stages.${d.name}.matrix`,
        `Too many instances: with stages.${d.name} the pipeline expands to ${total} instances, more than the limit of ${max} (raise it with --max-instances N)`,
        d.nameNode,
      );
      return false;
    }
  }
  return true;
}

function buildInstance(
  d: StageDraft,
  vars: Record<string, ParamValue>,
  tree: ParamTree,
  index: number,
  sink: DiagnosticSink,
): InstanceDraft {
  const suffix = d.matrix.map((m) => scalarText(vars[m.key] ?? null)).join("-");
  const name = d.matrix.length ? `${d.name}@${suffix}` : d.name;
  const f = `stages.${d.name}`;
  const interp = (l: Located<string>, field: string): string | undefined => {
    const r = interpolate(l.value, vars, tree);
    if (typeof r === "object") {
      sink.err(field, `Invalid interpolation in ${field}: ${r.error}`, l.node);
      return undefined;
    }
    return r;
  };
  const params = instanceParams(d, name, tree, interp, sink);
  const paths = (list: Located<string>[], kind: string, isOut: boolean) =>
    instancePaths(list, `${f}.${kind}`, isOut, interp, sink);
  const deps = paths(d.deps.filter((l) => !optionalUnset(l.value, tree)), "deps", false);
  const outs = paths(d.outs, "outs", true);
  const metrics = paths(d.metrics, "metrics", true);
  const plots = paths(d.plots, "plots", true);
  for (const extra of [...metrics, ...plots]) {
    if (!outs.some((o) => o.path === extra.path)) outs.push(extra);
  }
  const seenDep = new Set<string>();
  const depsUnique = deps.filter((x) => !seenDep.has(x.path) && seenDep.add(x.path));
  const inst: Instance & { upstream: string[] } = {
    name,
    stage: d.name,
    vars,
    run: normalizePath(d.run?.value ?? ""),
    params,
    deps: depsUnique.map((x) => x.path),
    outs: outs.map((x) => x.path),
    metrics: metrics.map((x) => x.path),
    plots: plots.map((x) => x.path),
    net: netHosts(d.net, `${f}.net`, interp, sink),
    ...(d.env?.length ? { env: d.env } : {}),
    ...(d.timeout !== undefined ? { timeout: d.timeout } : {}),
    ...(d.needsLarge === false ? { needsLarge: false } : {}),
    ...(d.desc !== undefined ? { desc: d.desc } : {}),
    upstream: [],
  };
  return {
    inst,
    draft: d,
    depNodes: depsUnique.map((x) => x.node),
    outNodes: outs.map((x) => x.node),
    index,
  };
}

type Interp = (l: Located<string>, field: string) => string | undefined;

/** The declared params of one instance (keys interpolated) → their values. */
function instanceParams(
  d: StageDraft,
  name: string,
  tree: ParamTree,
  interp: Interp,
  sink: DiagnosticSink,
): Record<string, ParamValue> {
  const f = `stages.${d.name}`;
  const params: Record<string, ParamValue> = {};
  for (const p of d.params) {
    const k = interp(p, `${f}.params`);
    if (k === undefined) continue;
    const v = getParam(tree, k);
    if (v === undefined) {
      if (d.params.some((x) => x.value.includes("${"))) {
        sink.err(
          `${f}.params`,
          `Unknown param key "${k}" in ${f}.params (instance ${name}): not in params`,
          d.params[0]?.node,
        );
      }
      continue;
    }
    params[k] = v;
  }
  return params;
}

/** Interpolated, normalized paths of one list (`field`: `stages.s.outs`); outs stay inside. */
function instancePaths(
  list: readonly Located<string>[],
  field: string,
  isOut: boolean,
  interp: Interp,
  sink: DiagnosticSink,
): { path: string; node: unknown }[] {
  const out: { path: string; node: unknown }[] = [];
  list.forEach((l, i) => {
    const s = interp(l, `${field}[${i}]`);
    if (s === undefined) return;
    const p = normalizePath(s);
    if (isOut && outsideWorkspace(p)) {
      sink.err(
        `${field}[${i}]`,
        `Invalid out "${s}" in ${field}: expected a path inside the workspace`,
        l.node,
      );
      return;
    }
    out.push({ path: p, node: l.node });
  });
  return out;
}

/**
 * Whether a dep is exactly `${params.key}` with a `null` value: an optional input left unset
 * (e.g. `report.access_log`), dropped rather than read as a file named "null".
 */
function optionalUnset(template: string, tree: ParamTree): boolean {
  const t = template.trim();
  return /^\$\{[^}]*\}$/.test(t) && resolveWhole(t, tree) === null;
}

/**
 * A host Deno's `--allow-net` takes as one entry: no comma (the list separator), no whitespace,
 * no scheme or path; `host`, `host:port`, `[v6]:port`.
 */
const NET_HOST = /^[^\s,/]+$/;

/**
 * Interpolated `net:` hosts, sorted and deduplicated (so that a port given by `--set` reaches
 * the sandbox; the resolved hosts are part of the instance's key, like a literal's).
 */
function netHosts(
  list: readonly Located<string>[],
  field: string,
  interp: Interp,
  sink: DiagnosticSink,
): string[] {
  const hosts = new Set<string>();
  list.forEach((l, i) => {
    const host = interp(l, `${field}[${i}]`);
    if (host === undefined) return;
    if (!NET_HOST.test(host)) {
      sink.err(
        `${field}[${i}]`,
        `Invalid host "${host}" in ${field}: expected a host or host:port (no scheme, path, comma or space)`,
        l.node,
      );
      return;
    }
    hosts.add(host);
  });
  return [...hosts].sort();
}

function outsideWorkspace(p: string): boolean {
  return isAbsolute(p) || p === "." || p === ".." || p.startsWith("../");
}

/** Every combination of the axes' values, the last axis fastest; one empty one without axes. */
export function* crossProduct(
  matrix: readonly MatrixAxis[],
): Generator<Record<string, ParamValue>> {
  if (matrix.some((m) => !m.values.length)) return;
  const idx = matrix.map(() => 0);
  while (true) {
    const vars: Record<string, ParamValue> = {};
    matrix.forEach((m, k) => (vars[m.key] = m.values[idx[k]!]!.value));
    yield vars;
    let k = matrix.length - 1;
    while (k >= 0) {
      idx[k]! += 1;
      if (idx[k]! < matrix[k]!.values.length) break;
      idx[k] = 0;
      k--;
    }
    if (k < 0) return;
  }
}
