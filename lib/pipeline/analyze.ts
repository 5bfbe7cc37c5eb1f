/**
 * The analyzer: reads `pipeline.yaml`, applies the profile and `--set` overrides, expands
 * matrices, interpolates `${var}` / `${params.key}`, checks everything (unknown keys, run
 * modules, param keys, out clashes, missing deps, cycles, the stages' own `validate`) and returns
 * a validated {@linkcode Graph} or every problem as a positioned {@linkcode Diagnostic}.
 *
 * @module
 */
import { dirname, isAbsolute, posix, resolve } from "node:path";
import { toFileUrl } from "./url.ts";
import type { Node } from "yaml";
import { isScalar } from "yaml";
import type { Diagnostic, SourceLocation } from "./diagnostic.ts";
import type { Graph, Instance } from "./graph.ts";
import { stripSlash } from "./graph.ts";
import { getParam, type ParamTree, setParam, splitKey } from "./params.ts";
import type { ParamValue, StageValidate } from "./stage_context.ts";
import {
  asMap,
  asSeq,
  loadYaml,
  nodeLocation,
  pairKey,
  toPlain,
  type YamlSource,
} from "./yaml_source.ts";
import { exists } from "./fs_util.ts";
import { canonicalJson, sha256 } from "./hash.ts";

/** Options for {@linkcode analyzePipeline}. */
export interface AnalyzeOptions {
  /** Profile to apply; default: the pipeline's `default_profile`, else none (`default`). */
  readonly profile?: string;
  /** `--set` overrides, applied after the profile, in order. */
  readonly set?: readonly { key: string; value: ParamValue }[];
  /** Import run modules to check their exports and call their `validate` (default true). */
  readonly importModules?: boolean;
  /**
   * Remembers validations that passed, so an unchanged module with unchanged params is not
   * imported again (importing tfjs-heavy stages costs hundreds of milliseconds).
   */
  readonly validationMemo?: ValidationMemo;
}

/** A store of passed validations (see {@linkcode AnalyzeOptions.validationMemo}). */
export interface ValidationMemo {
  /** A digest of the module's code (its import closure), or `undefined` when unknown. */
  codeDigest(moduleAbs: string): Promise<string | undefined>;
  /** Whether a validation key passed before. */
  has(key: string): boolean;
  /** Records a passed validation key. */
  add(key: string): void;
}

/** The analyzer's answer: a graph, or the problems that prevent one. */
export type AnalyzeResult =
  | { readonly ok: true; readonly graph: Graph }
  | { readonly ok: false; readonly diagnostics: readonly Diagnostic[] };

// `remote:` (the S3 remote cache) is read by remote.ts, not part of the graph.
const TOP_KEYS = ["params", "profiles", "default_profile", "stages", "remote"] as const;
const STAGE_KEYS = [
  "run",
  "desc",
  "deps",
  "params",
  "outs",
  "metrics",
  "plots",
  "matrix",
  "net",
  // read by executor/slurm.ts (sbatch --cpus-per-task/--mem/--time), not part of the key
  "resources",
] as const;
const NAME_REGEXP = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
const INTERP_REGEXP = /\$\{([^}]*)\}/g;

interface Located<T> {
  value: T;
  node: unknown;
}

interface StageDraft {
  name: string;
  index: number;
  nameNode: unknown;
  run?: Located<string>;
  desc?: string;
  deps: Located<string>[];
  params: Located<string>[];
  outs: Located<string>[];
  metrics: Located<string>[];
  plots: Located<string>[];
  net: string[];
  matrix: { key: string; values: Located<ParamValue>[] }[];
}

interface InstanceDraft {
  inst: Instance & { upstream: string[] };
  draft: StageDraft;
  depNodes: unknown[];
  outNodes: unknown[];
  index: number;
}

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
  const diags: Diagnostic[] = [];
  let loaded;
  try {
    loaded = loadYaml(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      return {
        ok: false,
        diagnostics: [{ field: "(file)", message: `Pipeline file not found: "${file}"` }],
      };
    }
    throw e;
  }
  const src = loaded.source;
  if (loaded.diagnostics.length) return { ok: false, diagnostics: loaded.diagnostics };
  const at = (node: unknown) => nodeLocation(src, node);
  const err = (field: string, message: string, node: unknown, related?: SourceLocation[]) =>
    diags.push({ field, message, location: at(node), ...(related ? { related } : {}) });

  const root = asMap(src.doc.contents);
  if (!root) {
    err(
      "(root)",
      `Invalid pipeline in "${src.display}": expected a mapping at the top level`,
      src.doc.contents,
    );
    return { ok: false, diagnostics: diags };
  }
  const top = new Map<string, { keyNode: unknown; value: Node | null }>();
  for (const pair of root.items) {
    const key = pairKey(pair);
    if (!(TOP_KEYS as readonly string[]).includes(key)) {
      err(
        key,
        `Unknown key "${key}" at the top level: expected one of ${quoteList(TOP_KEYS)}`,
        pair.key,
      );
      continue;
    }
    top.set(key, { keyNode: pair.key, value: pair.value });
  }

  // ---- params: inline tree or a file ----
  let tree: ParamTree = {};
  const paramLocs = new Map<string, SourceLocation>();
  const paramsEntry = top.get("params");
  if (paramsEntry) {
    const v = paramsEntry.value;
    let fileRef: Located<string> | undefined;
    if (isScalar(v) && typeof v.value === "string") fileRef = { value: v.value, node: v };
    const m = asMap(v);
    if (
      m && m.items.length === 1 && pairKey(m.items[0]!) === "file" && isScalar(m.items[0]!.value)
    ) {
      fileRef = {
        value: String((m.items[0]!.value as { value: unknown }).value),
        node: m.items[0]!.value,
      };
    }
    if (fileRef) {
      const pAbs = resolve(workspace, fileRef.value);
      if (!exists(pAbs)) {
        err("params", `Params file not found in params: "${fileRef.value}"`, fileRef.node);
      } else {
        const p = loadYaml(pAbs);
        diags.push(...p.diagnostics);
        const pm = asMap(p.source.doc.contents);
        if (!p.diagnostics.length) {
          if (!pm) {
            err(
              "params",
              `Invalid params file "${fileRef.value}": expected a mapping`,
              fileRef.node,
            );
          } else {
            tree = toPlain(p.source, pm) as ParamTree;
            collectParamLocs(p.source, pm, "", paramLocs);
          }
        }
      }
    } else if (m) {
      tree = toPlain(src, m) as ParamTree;
      collectParamLocs(src, m, "", paramLocs);
    } else if (v !== null) {
      err("params", `Invalid params: expected a mapping or the path of a params file`, v);
    }
  }

  // ---- profiles ----
  const profiles = new Map<
    string,
    { node: unknown; overrides: { key: string; value: ParamValue; node: unknown }[] }
  >();
  const profEntry = top.get("profiles");
  if (profEntry && profEntry.value !== null) {
    const pm = asMap(profEntry.value);
    if (!pm) {
      err("profiles", "Invalid profiles: expected a mapping of profile names", profEntry.value);
    }
    for (const pair of pm?.items ?? []) {
      const name = pairKey(pair);
      const overrides: { key: string; value: ParamValue; node: unknown }[] = [];
      const om = asMap(pair.value);
      if (pair.value !== null && !om) {
        err(
          `profiles.${name}`,
          `Invalid profile "${name}": expected a mapping of param overrides`,
          pair.value,
        );
      }
      if (om) {
        flattenOverrides(src, om, "", tree, overrides, (key, node) =>
          err(
            `profiles.${name}.${key}`,
            `Unknown param key "${key}" in profiles.${name}: not in params`,
            node,
          ));
      }
      profiles.set(name, { node: pair.key, overrides });
    }
  }
  let profile = options.profile;
  const dp = top.get("default_profile");
  if (dp) {
    const name = isScalar(dp.value) ? String(dp.value.value) : "";
    if (!profiles.has(name)) {
      err(
        "default_profile",
        `Unknown default_profile "${name}": expected one of ${quoteList([...profiles.keys()])}`,
        dp.value,
      );
    }
    profile ??= name;
  }
  if (profile !== undefined && !profiles.has(profile)) {
    diags.push({
      field: "profile",
      message: `Unknown profile "${profile}": expected one of ${quoteList([...profiles.keys()])}`,
      ...(profEntry ? { location: at(profEntry.keyNode) } : {}),
    });
  }
  for (const o of profile !== undefined ? profiles.get(profile)?.overrides ?? [] : []) {
    tree = setParam(tree, o.key, o.value);
    markOverride(paramLocs, o.key, at(o.node));
  }
  for (const s of options.set ?? []) {
    const parent = splitKey(s.key).slice(0, -1).join(".");
    if (
      getParam(tree, s.key) === undefined &&
      (parent === "" ? false : getParam(tree, parent) === undefined)
    ) {
      diags.push({
        field: `--set ${s.key}`,
        message: `Unknown param key "${s.key}" in --set: not in params`,
      });
      continue;
    }
    if (getParam(tree, s.key) === undefined) {
      diags.push({
        field: `--set ${s.key}`,
        message: `Unknown param key "${s.key}" in --set: not in params`,
      });
      continue;
    }
    tree = setParam(tree, s.key, s.value);
    paramLocs.delete(s.key);
  }

  // ---- stages ----
  const drafts: StageDraft[] = [];
  const stagesEntry = top.get("stages");
  const sm = asMap(stagesEntry?.value);
  if (!stagesEntry) {
    diags.push({
      field: "stages",
      message: `Missing "stages" in "${src.display}": expected a mapping of stage names`,
      location: at(root),
    });
  } else if (!sm) {
    err(
      "stages",
      "Invalid stages: expected a mapping of stage names",
      stagesEntry.value ?? stagesEntry.keyNode,
    );
  }
  for (const pair of sm?.items ?? []) {
    const name = pairKey(pair);
    const f = `stages.${name}`;
    if (!NAME_REGEXP.test(name)) {
      err(f, `Invalid stage name "${name}": expected letters, digits, "_", "." or "-"`, pair.key);
      continue;
    }
    const stm = asMap(pair.value);
    if (!stm) {
      err(
        f,
        `Invalid stage "${name}": expected a mapping with at least "run"`,
        pair.value ?? pair.key,
      );
      continue;
    }
    const d: StageDraft = {
      name,
      index: drafts.length,
      nameNode: pair.key,
      deps: [],
      params: [],
      outs: [],
      metrics: [],
      plots: [],
      net: [],
      matrix: [],
    };
    for (const sp of stm.items) {
      const key = pairKey(sp);
      const v = sp.value;
      const kf = `${f}.${key}`;
      switch (key) {
        case "run":
          if (isScalar(v) && typeof v.value === "string") d.run = { value: v.value, node: v };
          else err(kf, `Invalid ${kf}: expected the path of a TypeScript module`, v ?? sp.key);
          break;
        case "desc":
          d.desc = String(toPlain(src, v) ?? "");
          break;
        case "deps":
        case "params":
        case "outs":
        case "metrics":
        case "plots":
        case "net": {
          const list = stringList(v, kf, (m, n) => err(kf, m, n ?? sp.key));
          if (key === "net") d.net = list.map((l) => l.value);
          else d[key] = list;
          break;
        }
        case "matrix": {
          const mm = asMap(v);
          if (!mm) {
            err(kf, `Invalid ${kf}: expected a mapping of names to lists`, v ?? sp.key);
            break;
          }
          for (const mp of mm.items) {
            const mk = pairKey(mp);
            const mf = `${kf}.${mk}`;
            if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(mk) || mk === "params") {
              err(
                mf,
                `Invalid matrix key "${mk}": expected an identifier other than "params"`,
                mp.key,
              );
              continue;
            }
            const values = matrixValues(src, mp.value, mf, tree, (m, n) => err(mf, m, n ?? mp.key));
            if (values) d.matrix.push({ key: mk, values });
          }
          break;
        }
        case "resources": // checked by executor/slurm.ts when it submits
          break;
        default:
          err(kf, `Unknown key "${key}" in ${f}: expected one of ${quoteList(STAGE_KEYS)}`, sp.key);
      }
    }
    if (!d.run) {
      if (!stm.items.some((p) => pairKey(p) === "run")) {
        err(f, `Missing "run" in ${f}: expected the path of a TypeScript module`, pair.key);
      }
    } else {
      const abs = resolve(workspace, d.run.value);
      if (!exists(abs)) {
        err(`${f}.run`, `Missing run module in ${f}.run: "${d.run.value}" not found`, d.run.node);
      }
    }
    for (const p of d.params) {
      if (p.value.includes("${")) continue;
      if (getParam(tree, p.value) === undefined) {
        err(
          `${f}.params`,
          `Unknown param key "${p.value}" in ${f}.params: not in params${
            profile ? ` (profile "${profile}")` : ""
          }`,
          p.node,
        );
      }
    }
    drafts.push(d);
  }

  // ---- expand matrices into instances ----
  const instances: InstanceDraft[] = [];
  for (const d of drafts) {
    for (const vars of crossProduct(d.matrix)) {
      const suffix = d.matrix.map((m) => scalarText(vars[m.key] ?? null)).join("-");
      const name = d.matrix.length ? `${d.name}@${suffix}` : d.name;
      const f = `stages.${d.name}`;
      const interp = (l: Located<string>, field: string): string | undefined => {
        const r = interpolate(l.value, vars, tree);
        if (typeof r === "object") {
          err(field, `Invalid interpolation in ${field}: ${r.error}`, l.node);
          return undefined;
        }
        return r;
      };
      const paramKeys = d.params.map((p) => interp(p, `${f}.params`)).filter((x) =>
        x !== undefined
      );
      const params: Record<string, ParamValue> = {};
      for (const k of paramKeys) {
        const v = getParam(tree, k);
        if (v === undefined) {
          if (d.params.some((p) => p.value.includes("${"))) {
            err(
              `${f}.params`,
              `Unknown param key "${k}" in ${f}.params (instance ${name}): not in params`,
              d.params[0]?.node,
            );
          }
          continue;
        }
        params[k] = v;
      }
      const paths = (list: Located<string>[], kind: string, isOut: boolean) => {
        const outList: { path: string; node: unknown }[] = [];
        list.forEach((l, i) => {
          const s = interp(l, `${f}.${kind}[${i}]`);
          if (s === undefined) return;
          const p = normalizePath(s);
          if (
            isOut &&
            (isAbsolute(p) || p === "." || p.startsWith("../") || p === ".." ||
              p.startsWith(".quarry/"))
          ) {
            err(
              `${f}.${kind}[${i}]`,
              `Invalid out "${s}" in ${f}.${kind}: expected a path inside the workspace`,
              l.node,
            );
            return;
          }
          outList.push({ path: p, node: l.node });
        });
        return outList;
      };
      const deps = paths(d.deps, "deps", false);
      const outsRaw = [...paths(d.outs, "outs", true)];
      const metrics = paths(d.metrics, "metrics", true);
      const plots = paths(d.plots, "plots", true);
      for (const extra of [...metrics, ...plots]) {
        if (!outsRaw.some((o) => o.path === extra.path)) outsRaw.push(extra);
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
        outs: outsRaw.map((x) => x.path),
        metrics: metrics.map((x) => x.path),
        plots: plots.map((x) => x.path),
        net: [...d.net].sort(),
        ...(d.desc !== undefined ? { desc: d.desc } : {}),
        upstream: [],
      };
      instances.push({
        inst,
        draft: d,
        depNodes: depsUnique.map((x) => x.node),
        outNodes: outsRaw.map((x) => x.node),
        index: instances.length,
      });
    }
  }
  const byName = new Map<string, InstanceDraft>();
  for (const i of instances) {
    if (byName.has(i.inst.name)) {
      err(
        `stages.${i.draft.name}.matrix`,
        `Duplicate instance name "${i.inst.name}" in stages.${i.draft.name}: matrix values must be distinct`,
        i.draft.nameNode,
      );
    }
    byName.set(i.inst.name, i);
  }

  // ---- outs: no two instances write one out, no nested outs ----
  const allOuts: { path: string; owner: InstanceDraft; node: unknown }[] = [];
  for (const i of instances) {
    i.inst.outs.forEach((p, k) => allOuts.push({ path: p, owner: i, node: i.outNodes[k] }));
  }
  allOuts.sort((
    a,
    b,
  ) => (stripSlash(a.path) < stripSlash(b.path)
    ? -1
    : stripSlash(a.path) > stripSlash(b.path)
    ? 1
    : 0)
  );
  const reported = new Set<string>();
  for (let a = 0; a < allOuts.length; a++) {
    for (let b = a + 1; b < allOuts.length; b++) {
      const x = allOuts[a]!;
      const y = allOuts[b]!;
      const xs = stripSlash(x.path);
      const ys = stripSlash(y.path);
      if (!(ys === xs || ys.startsWith(`${xs}/`))) {
        if (ys > `${xs}/\uffff`) break;
        continue;
      }
      const tag = `${x.owner.inst.name}|${x.path}|${y.owner.inst.name}|${y.path}`;
      if (reported.has(tag)) continue;
      reported.add(tag);
      const field = `stages.${y.owner.draft.name}.outs`;
      if (xs === ys) {
        err(
          field,
          x.owner === y.owner
            ? `Duplicate out "${y.path}" in ${field} (instance ${y.owner.inst.name})`
            : `Two instances write one out: "${y.path}" is written by ${x.owner.inst.name} and ${y.owner.inst.name}`,
          y.node,
          [at(x.node)],
        );
      } else {
        err(
          field,
          `Nested outs: "${y.path}" (${y.owner.inst.name}) lies inside "${x.path}" (${x.owner.inst.name})`,
          y.node,
          [at(x.node)],
        );
      }
    }
  }

  // ---- deps: producers, or existing files ----
  const edgeNode = new Map<string, unknown>();
  const sortedOuts = allOuts.map((o) => ({ key: stripSlash(o.path), o }));
  const byPath = new Map<string, typeof allOuts>();
  for (const { key, o } of sortedOuts) byPath.set(key, [...(byPath.get(key) ?? []), o]);
  const producersOf = (dep: string) => {
    const d = stripSlash(dep);
    const found = [...(byPath.get(d) ?? [])];
    // outs that contain the dep (folder outs above it)
    for (let cut = d.lastIndexOf("/"); cut > 0; cut = d.lastIndexOf("/", cut - 1)) {
      found.push(...(byPath.get(d.slice(0, cut)) ?? []));
    }
    // outs inside the dep (the dep is a folder): a binary search in the sorted list
    const prefix = `${d}/`;
    let lo = 0;
    let hi = sortedOuts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sortedOuts[mid]!.key < prefix) lo = mid + 1;
      else hi = mid;
    }
    for (let k = lo; k < sortedOuts.length && sortedOuts[k]!.key.startsWith(prefix); k++) {
      found.push(sortedOuts[k]!.o);
    }
    return found;
  };
  for (const i of instances) {
    const ups = new Set<string>();
    i.inst.deps.forEach((dep, k) => {
      const producers = producersOf(dep);
      const self = producers.filter((o) => o.owner === i);
      if (self.length) {
        err(
          `stages.${i.draft.name}.deps[${k}]`,
          `Dep "${dep}" of ${i.inst.name} overlaps its own out "${self[0]!.path}"`,
          i.depNodes[k],
        );
        return;
      }
      for (const p of producers) {
        ups.add(p.owner.inst.name);
        const ek = `${i.inst.name}->${p.owner.inst.name}`;
        if (!edgeNode.has(ek)) edgeNode.set(ek, i.depNodes[k]);
      }
      if (!producers.length && !exists(resolve(workspace, dep))) {
        err(
          `stages.${i.draft.name}.deps[${k}]`,
          `Missing dep "${dep}" in stages.${i.draft.name}.deps (instance ${i.inst.name}): no stage produces it and it does not exist`,
          i.depNodes[k],
        );
      }
    });
    i.inst.upstream = [...ups].sort();
  }

  // ---- cycles ----
  for (const cycle of findCycles(instances.map((i) => i.inst))) {
    const names = cycle.map((n) => byName.get(n)!);
    const stagesOn = [...new Set(names.map((n) => n.draft.name))];
    const edges = cycle.map((n, k) => edgeNode.get(`${cycle[(k + 1) % cycle.length]}->${n}`));
    diags.push({
      field: `stages.${stagesOn[0]}.deps`,
      message: `Dependency cycle through stages ${stagesOn.map((s) => `"${s}"`).join(", ")}: ${
        [...cycle, cycle[0]].join(" -> ")
      }`,
      location: at(edges[0] ?? names[0]!.draft.nameNode),
      related: edges.slice(1).map((e) => at(e)),
    });
  }

  // ---- the stages' own validate() ----
  const memoKeys = new Map<string, string>();
  if (options.importModules !== false && !diags.length) {
    const modules = new Map<string, { validate?: StageValidate; failed: boolean }>();
    const memo = options.validationMemo;
    for (const d of drafts) {
      if (!d.run) continue;
      const abs = resolve(workspace, d.run.value);
      if (modules.has(abs)) continue;
      const digest = memo ? await memo.codeDigest(abs).catch(() => undefined) : undefined;
      if (memo && digest) {
        const users = instances.filter((i) => resolve(workspace, i.inst.run) === abs);
        const key = sha256(canonicalJson({
          digest,
          instances: users.map((i) => [i.inst.name, i.inst.params, i.inst.vars]),
        }));
        if (memo.has(key)) {
          modules.set(abs, { failed: false });
          continue;
        }
        memoKeys.set(abs, key);
      }
      try {
        const mod = await import(toFileUrl(abs));
        if (typeof mod.run !== "function") {
          err(
            `stages.${d.name}.run`,
            `Invalid run module "${d.run.value}" in stages.${d.name}.run: expected an exported async function run(ctx)`,
            d.run.node,
          );
          modules.set(abs, { failed: true });
        } else {
          modules.set(abs, {
            failed: false,
            ...(typeof mod.validate === "function" ? { validate: mod.validate } : {}),
          });
        }
      } catch (e) {
        err(
          `stages.${d.name}.run`,
          `Cannot load run module "${d.run.value}" in stages.${d.name}.run: ${firstLine(e)}`,
          d.run.node,
        );
        modules.set(abs, { failed: true });
      }
    }
    for (const i of instances) {
      const m = modules.get(resolve(workspace, i.inst.run));
      if (!m?.validate) continue;
      let issues;
      try {
        issues = m.validate(i.inst.params, i.inst.vars);
      } catch (e) {
        err(
          `stages.${i.draft.name}.params`,
          `validate() of "${i.inst.run}" threw for ${i.inst.name}: ${firstLine(e)}`,
          i.draft.nameNode,
        );
        continue;
      }
      for (const issue of issues ?? []) {
        const matrixEntry = i.draft.matrix.find((m) => m.key === issue.param);
        const loc = matrixEntry
          ? at(
            matrixEntry.values.find((x) => x.value === i.inst.vars[issue.param])?.node ??
              matrixEntry.values[0]?.node,
          )
          : paramLocs.get(issue.param) ?? ancestorLoc(paramLocs, issue.param);
        const decl = i.draft.params.find((p) => p.value === issue.param);
        const message = `Invalid param "${issue.param}" for ${i.inst.name}: ${issue.message}`;
        const location = loc ?? at(decl?.node ?? i.draft.nameNode);
        const dup = diags.some((x) =>
          x.message.endsWith(`: ${issue.message}`) && x.field === `params.${issue.param}` &&
          x.location?.line === location.line
        );
        if (dup && loc) continue; // one report per param position, not per instance
        diags.push({
          field: `params.${issue.param}`,
          message,
          location,
          ...(decl && loc ? { related: [at(decl.node)] } : {}),
        });
      }
    }
  }

  if (diags.length) return { ok: false, diagnostics: sortDiagnostics(diags) };
  for (const key of memoKeys.values()) options.validationMemo?.add(key);
  const order = topoOrder(instances);
  return {
    ok: true,
    graph: {
      file: path,
      workspace,
      profile: profile ?? "default",
      params: tree,
      stages: drafts.map((d) => d.name),
      instances: order.map((i) => i.inst),
    },
  };
}

function quoteList(items: readonly string[]): string {
  return items.length ? items.map((i) => `"${i}"`).join(", ") : "(none declared)";
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0] ?? "";
}

function sortDiagnostics(d: Diagnostic[]): Diagnostic[] {
  return d.map((x, i) => ({ x, i })).sort((a, b) => {
    const la = a.x.location;
    const lb = b.x.location;
    if (!la || !lb) return (la ? 0 : 1) - (lb ? 0 : 1) || a.i - b.i;
    return la.file.localeCompare(lb.file) || la.line - lb.line || la.column - lb.column ||
      a.i - b.i;
  }).map((p) => p.x);
}

function collectParamLocs(
  src: YamlSource,
  map: unknown,
  prefix: string,
  out: Map<string, SourceLocation>,
) {
  const m = asMap(map);
  if (!m) return;
  for (const pair of m.items) {
    const key = prefix ? `${prefix}.${pairKey(pair)}` : pairKey(pair);
    out.set(key, nodeLocation(src, pair.value ?? pair.key));
    if (asMap(pair.value)) collectParamLocs(src, pair.value, key, out);
  }
}

function markOverride(locs: Map<string, SourceLocation>, key: string, loc: SourceLocation) {
  for (const k of [...locs.keys()]) if (k.startsWith(`${key}.`)) locs.delete(k);
  locs.set(key, loc);
}

function ancestorLoc(locs: Map<string, SourceLocation>, key: string): SourceLocation | undefined {
  const segs = splitKey(key);
  for (let n = segs.length - 1; n > 0; n--) {
    const l = locs.get(segs.slice(0, n).join("."));
    if (l) return l;
  }
  return undefined;
}

function flattenOverrides(
  src: YamlSource,
  map: ReturnType<typeof asMap> & object,
  prefix: string,
  base: ParamTree,
  out: { key: string; value: ParamValue; node: unknown }[],
  unknown: (key: string, node: unknown) => void,
) {
  for (const pair of map.items) {
    const key = prefix ? `${prefix}.${pairKey(pair)}` : pairKey(pair);
    const baseValue = getParam(base, key);
    if (baseValue === undefined) {
      unknown(key, pair.key);
      continue;
    }
    const sub = asMap(pair.value);
    if (sub && baseValue !== null && typeof baseValue === "object" && !Array.isArray(baseValue)) {
      flattenOverrides(src, sub, key, base, out, unknown);
    } else {
      out.push({
        key,
        value: toPlain(src, pair.value) as ParamValue,
        node: pair.value ?? pair.key,
      });
    }
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
  tree: ParamTree,
  fail: (m: string, node?: unknown) => void,
): Located<ParamValue>[] | undefined {
  if (isScalar(v) && typeof v.value === "string") {
    const r = interpolate(v.value, {}, tree);
    if (typeof r === "object" && "error" in r) {
      fail(`Invalid ${field}: ${r.error}`, v);
      return undefined;
    }
    let value: unknown = r;
    if (typeof r === "string" && /^\$\{[^}]*\}$/.test(v.value.trim())) {
      value = resolveWhole(v.value.trim(), tree);
    }
    if (typeof value === "number" && Number.isInteger(value) && value >= 0) {
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

function resolveWhole(expr: string, tree: ParamTree): unknown {
  const inner = expr.slice(2, -1).trim();
  if (!inner.startsWith("params.")) return undefined;
  return getParam(tree, inner.slice("params.".length));
}

/**
 * Interpolates `${var}` (matrix values) and `${params.key}` in a string. Returns an error object
 * when a name is unknown or a value is not a scalar.
 *
 * @example Usage
 * ```ts
 * import { interpolate } from "./analyze.ts";
 * const s = interpolate("out/${ds}-${params.n}.json", { ds: "mnist" }, { n: 3 });
 * if (s !== "out/mnist-3.json") throw new Error(String(s));
 * ```
 */
export function interpolate(
  template: string,
  vars: Readonly<Record<string, ParamValue>>,
  tree: ParamTree,
): string | { error: string } {
  let error: string | undefined;
  const out = template.replace(INTERP_REGEXP, (_m, exprRaw: string) => {
    const expr = exprRaw.trim();
    let value: ParamValue | undefined;
    if (expr.startsWith("params.")) {
      value = getParam(tree, expr.slice("params.".length));
      if (value === undefined) error ??= `unknown param "${expr.slice(7)}" in "\${${expr}}"`;
    } else if (Object.hasOwn(vars, expr)) {
      value = vars[expr];
    } else {
      error ??= `unknown variable "${expr}" in "\${${expr}}": expected a matrix key (${
        quoteList(Object.keys(vars))
      }) or params.<key>`;
    }
    if (value === undefined) return "";
    if (value !== null && typeof value === "object") {
      if (template.trim() === `\${${exprRaw}}`) return JSON.stringify(value);
      error ??= `"\${${expr}}" is not a scalar`;
      return "";
    }
    return scalarText(value);
  });
  return error ? { error } : out;
}

function scalarText(v: ParamValue): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

function normalizePath(p: string): string {
  const folder = p.endsWith("/");
  let n = posix.normalize(p.replaceAll("\\", "/"));
  if (n.endsWith("/") && n.length > 1) n = n.slice(0, -1);
  if (n.startsWith("./")) n = n.slice(2);
  return folder && n !== "." ? `${n}/` : n;
}

function* crossProduct(
  matrix: { key: string; values: Located<ParamValue>[] }[],
): Generator<Record<string, ParamValue>> {
  if (!matrix.length) {
    yield {};
    return;
  }
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

function findCycles(instances: readonly Instance[]): string[][] {
  const byName = new Map(instances.map((i) => [i.name, i]));
  const color = new Map<string, 0 | 1 | 2>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const seen = new Set<string>();
  const visit = (n: string) => {
    color.set(n, 1);
    stack.push(n);
    for (const up of byName.get(n)?.upstream ?? []) {
      const c = color.get(up) ?? 0;
      if (c === 0) visit(up);
      else if (c === 1) {
        const cyc = stack.slice(stack.indexOf(up)).reverse();
        // rotate to start at the smallest name, for a stable message
        const min = cyc.indexOf([...cyc].sort()[0]!);
        const rot = [...cyc.slice(min), ...cyc.slice(0, min)];
        const tag = [...rot].sort().join("|");
        if (!seen.has(tag)) {
          seen.add(tag);
          cycles.push(rot);
        }
      }
    }
    stack.pop();
    color.set(n, 2);
  };
  for (const i of instances) if ((color.get(i.name) ?? 0) === 0) visit(i.name);
  return cycles;
}

/** Kahn's algorithm; among ready instances the earliest declared goes first (a binary heap). */
function topoOrder(instances: InstanceDraft[]): InstanceDraft[] {
  const byName = new Map(instances.map((i) => [i.inst.name, i]));
  const indeg = new Map<string, number>();
  const children = new Map<string, InstanceDraft[]>();
  for (const i of instances) {
    indeg.set(i.inst.name, i.inst.upstream.length);
    for (const u of i.inst.upstream) {
      const l = children.get(u) ?? [];
      l.push(i);
      children.set(u, l);
    }
  }
  const ready = new MinHeap<InstanceDraft>((a, b) => a.index - b.index);
  for (const i of instances) if (i.inst.upstream.length === 0) ready.push(i);
  const out: InstanceDraft[] = [];
  while (ready.size) {
    const next = ready.pop()!;
    out.push(next);
    for (const c of children.get(next.inst.name) ?? []) {
      const n = indeg.get(c.inst.name)! - 1;
      indeg.set(c.inst.name, n);
      if (n === 0) ready.push(byName.get(c.inst.name)!);
    }
  }
  return out;
}

class MinHeap<T> {
  #items: T[] = [];
  #cmp: (a: T, b: T) => number;
  constructor(cmp: (a: T, b: T) => number) {
    this.#cmp = cmp;
  }
  get size(): number {
    return this.#items.length;
  }
  push(item: T): void {
    const a = this.#items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.#cmp(a[i]!, a[p]!) >= 0) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }
  pop(): T | undefined {
    const a = this.#items;
    if (!a.length) return undefined;
    const top = a[0];
    const last = a.pop()!;
    if (a.length) {
      a[0] = last;
      let i = 0;
      while (true) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.#cmp(a[l]!, a[m]!) < 0) m = l;
        if (r < a.length && this.#cmp(a[r]!, a[m]!) < 0) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}
