/**
 * Phase 2: the params tree (inline or from a params file), the profiles, the active profile and
 * the `--set` overrides, with the position of every param for later diagnostics.
 *
 * @module
 */
import { resolve } from "node:path";
import { isScalar } from "yaml";
import type { SourceLocation } from "../diagnostic.ts";
import { exists } from "../fs_util.ts";
import { getParam, type ParamTree, setParam, splitKey } from "../params.ts";
import type { ParamValue } from "../stage_context.ts";
import {
  asMap,
  loadYaml,
  nodeLocation,
  pairKey,
  toPlain,
  type YamlSource,
} from "../yaml_source.ts";
import { type DiagnosticSink, type Located, quoteList } from "./common.ts";
import type { TopEntry } from "./load.ts";
import { aliasDiagnostics } from "./load.ts";

/** One override of a profile. */
interface Override {
  key: string;
  value: ParamValue;
  node: unknown;
}

/** The resolved params of one analysis. */
export interface ResolvedParams {
  /** The tree after the profile and `--set`. */
  readonly tree: ParamTree;
  /** Dotted key → where its value is written (overrides win). */
  readonly locations: Map<string, SourceLocation>;
  /** The active profile, when any. */
  readonly profile: string | undefined;
  /** Absolute path of the params file, when `params:` names one. */
  readonly paramsFile?: string;
}

/** Reads `params`, `profiles` and `default_profile`, then applies the profile and `--set`. */
export function resolveParams(
  top: ReadonlyMap<string, TopEntry>,
  workspace: string,
  options: { profile?: string; set?: readonly { key: string; value: ParamValue }[] },
  sink: DiagnosticSink,
): ResolvedParams {
  const locations = new Map<string, SourceLocation>();
  const ref = paramsFileRef(top.get("params"));
  const paramsFile = ref ? resolve(workspace, ref.value) : undefined;
  let tree = ref
    ? readParamsFile(ref, workspace, locations, sink)
    : readTree(top.get("params"), locations, sink);
  const profEntry = top.get("profiles");
  const profiles = readProfiles(profEntry, tree, sink);
  let profile = options.profile;
  const dp = top.get("default_profile");
  if (dp) {
    const name = isScalar(dp.value) ? String(dp.value.value) : "";
    if (!profiles.has(name)) {
      sink.err(
        "default_profile",
        `Unknown default_profile "${name}": expected one of ${quoteList([...profiles.keys()])}`,
        dp.value,
      );
    }
    profile ??= name;
  }
  if (profile !== undefined && !profiles.has(profile)) {
    sink.push({
      field: "profile",
      message: `Unknown profile "${profile}": expected one of ${quoteList([...profiles.keys()])}`,
      ...(profEntry ? { location: sink.at(profEntry.keyNode) } : {}),
    });
  }
  for (const o of profile !== undefined ? profiles.get(profile) ?? [] : []) {
    tree = setParam(tree, o.key, o.value);
    markOverride(locations, o.key, sink.at(o.node));
  }
  tree = applySets(tree, options.set ?? [], locations, sink);
  return { tree, locations, profile, ...(paramsFile ? { paramsFile } : {}) };
}

/** `params: FILE` or `params: {file: FILE}`: the file named, else `undefined`. */
function paramsFileRef(entry: TopEntry | undefined): Located<string> | undefined {
  const v = entry?.value;
  if (isScalar(v) && typeof v.value === "string") return { value: v.value, node: v };
  const m = asMap(v);
  if (m && m.items.length === 1 && pairKey(m.items[0]!) === "file" && isScalar(m.items[0]!.value)) {
    return {
      value: String((m.items[0]!.value as { value: unknown }).value),
      node: m.items[0]!.value,
    };
  }
  return undefined;
}

function readTree(
  entry: TopEntry | undefined,
  locations: Map<string, SourceLocation>,
  sink: DiagnosticSink,
): ParamTree {
  if (!entry) return {};
  const v = entry.value;
  const m = asMap(v);
  if (m) {
    collectParamLocs(sink.src, m, "", locations);
    return toPlain(sink.src, m) as ParamTree;
  }
  if (v !== null) {
    sink.err("params", `Invalid params: expected a mapping or the path of a params file`, v);
  }
  return {};
}

function readParamsFile(
  ref: Located<string>,
  workspace: string,
  locations: Map<string, SourceLocation>,
  sink: DiagnosticSink,
): ParamTree {
  const pAbs = resolve(workspace, ref.value);
  if (!exists(pAbs)) {
    sink.err("params", `Params file not found in params: "${ref.value}"`, ref.node);
    return {};
  }
  const p = loadYaml(pAbs);
  sink.push(...p.diagnostics);
  if (p.diagnostics.length) return {};
  sink.push(...aliasDiagnostics(p.source));
  const pm = asMap(p.source.doc.contents);
  if (!pm) {
    sink.err("params", `Invalid params file "${ref.value}": expected a mapping`, ref.node);
    return {};
  }
  collectParamLocs(p.source, pm, "", locations);
  return toPlain(p.source, pm) as ParamTree;
}

function readProfiles(
  entry: TopEntry | undefined,
  tree: ParamTree,
  sink: DiagnosticSink,
): Map<string, Override[]> {
  const profiles = new Map<string, Override[]>();
  if (!entry || entry.value === null) return profiles;
  const pm = asMap(entry.value);
  if (!pm) {
    sink.err("profiles", "Invalid profiles: expected a mapping of profile names", entry.value);
  }
  for (const pair of pm?.items ?? []) {
    const name = pairKey(pair);
    const overrides: Override[] = [];
    const om = asMap(pair.value);
    if (pair.value !== null && !om) {
      sink.err(
        `profiles.${name}`,
        `Invalid profile "${name}": expected a mapping of param overrides`,
        pair.value,
      );
    }
    if (om) {
      flattenOverrides(sink.src, om, "", tree, overrides, (key, node, misfit) =>
        sink.err(
          `profiles.${name}.${key}`,
          misfit
            ? `Invalid value for param "${key}" in profiles.${name}: ${misfit}`
            : `Unknown param key "${key}" in profiles.${name}: not in params`,
          node,
        ));
    }
    profiles.set(name, overrides);
  }
  return profiles;
}

function applySets(
  tree: ParamTree,
  sets: readonly { key: string; value: ParamValue }[],
  locations: Map<string, SourceLocation>,
  sink: DiagnosticSink,
): ParamTree {
  for (const s of sets) {
    const field = `--set ${s.key}`;
    const base = getParam(tree, s.key);
    if (base === undefined) {
      sink.push({ field, message: `Unknown param key "${s.key}" in --set: not in params` });
      continue;
    }
    const misfit = typeMisfit(base, s.value);
    if (misfit) {
      sink.push({ field, message: `Invalid value for param "${s.key}" in --set: ${misfit}` });
      continue;
    }
    tree = setParam(tree, s.key, s.value);
    locations.delete(s.key);
  }
  return tree;
}

type Shape = "a mapping" | "a list" | "a number" | "a string" | "a boolean" | "null";

function shapeOf(v: ParamValue): Shape {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  return `a ${typeof v}` as Shape;
}

/**
 * Why `value` cannot replace `base` in the params tree, or `undefined` when it fits: the shape
 * must stay (a mapping stays a mapping, a list a list, a number a number); a `null` in params
 * means "unset" and accepts any scalar or list.
 *
 * @example Usage
 * ```ts
 * import { typeMisfit } from "./params.ts";
 * if (typeMisfit({ seed: 0 }, 5) === undefined) throw new Error("a scalar cannot replace a mapping");
 * if (typeMisfit(null, 3) !== undefined) throw new Error("null accepts a number");
 * ```
 */
export function typeMisfit(base: ParamValue, value: ParamValue): string | undefined {
  const want = shapeOf(base);
  const got = shapeOf(value);
  if (want === got || got === "null") return undefined;
  if (want === "null" && got !== "a mapping") return undefined;
  return `expected ${want} (as in params), got ${JSON.stringify(value)}`;
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

/** The location of the nearest ancestor of a dotted key that has one. */
export function ancestorLoc(
  locs: ReadonlyMap<string, SourceLocation>,
  key: string,
): SourceLocation | undefined {
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
  out: Override[],
  fail: (key: string, node: unknown, misfit?: string) => void,
) {
  for (const pair of map.items) {
    const key = prefix ? `${prefix}.${pairKey(pair)}` : pairKey(pair);
    const baseValue = getParam(base, key);
    if (baseValue === undefined) {
      fail(key, pair.key);
      continue;
    }
    const sub = asMap(pair.value);
    if (sub && baseValue !== null && typeof baseValue === "object" && !Array.isArray(baseValue)) {
      flattenOverrides(src, sub, key, base, out, fail);
      continue;
    }
    const value = toPlain(src, pair.value) as ParamValue;
    const misfit = typeMisfit(baseValue, value);
    if (misfit) {
      fail(key, pair.value ?? pair.key, misfit);
      continue;
    }
    out.push({ key, value, node: pair.value ?? pair.key });
  }
}
