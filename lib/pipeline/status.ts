/**
 * `status`: what `repro` would do for each instance and why, without running anything. Dep
 * hashes of instances downstream of a cache hit are predicted from the cache entry, so a stale
 * chain that the cache can restore is reported as such.
 *
 * @module
 */
import { resolve } from "node:path";
import type { RunEntry } from "./cache.ts";
import { instanceKey } from "./fingerprint.ts";
import { type Graph, type Instance, stripSlash } from "./graph.ts";
import { canonicalJson, type Digest } from "./hash.ts";
import { type LockEntry, readLockFile } from "./lock_file.ts";
import type { ParamValue } from "./stage_context.ts";
import { changedOuts, type Workspace } from "./workspace.ts";
import { ignoredOutsOf, producersOf, recordedDep, splitChanges } from "./missing_outs.ts";

/** What repro would do with an instance. */
export type InstanceState = "up-to-date" | "restore" | "run";

/** The status of one instance. */
export interface InstanceStatus {
  readonly name: string;
  readonly state: InstanceState;
  /** Why it is not up to date (empty when it is). */
  readonly reasons: readonly string[];
  /** Up to date with remarks, e.g. `out "m.weights" missing (restorable)`. */
  readonly notes?: readonly string[];
}

/** Options for {@linkcode computeStatus}. */
export interface StatusOptions {
  /** Instances to report (graph order); default all. */
  readonly selected?: readonly string[];
  /** Instances that would run regardless (`--force`). */
  readonly force?: ReadonlySet<string>;
}

/** Computes the status of the selected instances, in graph order. */
export async function computeStatus(
  graph: Graph,
  ws: Workspace,
  options: StatusOptions = {},
): Promise<InstanceStatus[]> {
  const lock = readLockFile(ws.lockPath);
  const entries = lock.profiles[graph.profile] ?? {};
  const selected = new Set(options.selected ?? graph.instances.map((i) => i.name));
  const byName = new Map(graph.instances.map((i) => [i.name, i]));
  const states = new Map<
    string,
    { state: InstanceState; run?: RunEntry; leftMissing?: boolean }
  >();
  const out: InstanceStatus[] = [];
  const ignored = await ignoredOutsOf(graph, ws.root);

  for (const inst of graph.instances) {
    if (!selected.has(inst.name)) continue;
    const reasons: string[] = [];
    const prev: LockEntry | undefined = entries[inst.name];
    const depHashes: Record<string, Digest> = {};
    const unknownBecause: string[] = [];
    const pendingUp: string[] = [];
    for (const dep of inst.deps) {
      const producers = producersOf(byName, inst, dep).map((u) => u.name)
        .filter((u) => selected.has(u));
      const pending = producers.filter((p) => states.get(p)?.state !== "up-to-date");
      if (!pending.length) {
        // Large outs an up-to-date producer left missing count by the hashes its lock records.
        const ups = producers.filter((p) => states.get(p)?.leftMissing);
        const h = (ups.length ? recorded(ups, dep) : undefined) ??
          ws.hashes.hashPath(resolve(ws.root, dep));
        if (h === undefined) unknownBecause.push(`dep "${dep}" is missing`);
        else depHashes[dep] = h;
        continue;
      }
      const predicted = pending.length === 1
        ? predict(states.get(pending[0]!)?.run, dep)
        : undefined;
      if (predicted !== undefined) depHashes[dep] = predicted;
      else pendingUp.push(...pending);
    }
    const ups = [...new Set(pendingUp)];
    if (ups.length) {
      const more = ups.length > 3 ? ` and ${ups.length - 3} more` : "";
      unknownBecause.push(`upstream ${ups.slice(0, 3).join(", ")}${more} will run`);
    }
    const code = await ws.code.info(inst.run);
    const forced = options.force?.has(inst.name) ?? false;
    if (forced) reasons.push("forced");
    let state: InstanceState;
    let run: RunEntry | undefined;
    const notes: string[] = [];
    if (unknownBecause.length) {
      reasons.push(...new Set(unknownBecause));
      if (prev) reasons.push(...explain(prev, inst, undefined, code));
      state = "run";
    } else {
      const key = instanceKey(inst, depHashes, code);
      run = ws.cache.getRun(key);
      if (!prev) reasons.push(`never run in profile "${graph.profile}"`);
      else if (prev.key !== key) {
        const why = explain(prev, inst, depHashes, code);
        reasons.push(...(why.length ? why : ["definition changed"]));
      } else {
        const changes = splitChanges(changedOuts(ws, inst, prev), ignored, {
          hashes: ws.hashes,
          root: ws.root,
          entry: prev,
        });
        for (const c of changes.stale) reasons.push(`out "${c.path}" ${c.why}`);
        for (const c of changes.restorable) notes.push(`out "${c.path}" missing (restorable)`);
      }
      state = !reasons.length ? "up-to-date" : run && !forced ? "restore" : "run";
    }
    states.set(inst.name, {
      state,
      ...(run ? { run } : {}),
      ...(state === "up-to-date" && notes.length ? { leftMissing: true } : {}),
    });
    out.push({
      name: inst.name,
      state,
      reasons,
      ...(state === "up-to-date" && notes.length ? { notes } : {}),
    });
  }
  return out;

  function recorded(producers: readonly string[], dep: string): Digest | undefined {
    const known = producers.flatMap((p) => {
      const entry = entries[p];
      return entry ? [{ entry, run: ws.cache.getRun(entry.key) }] : [];
    });
    return recordedDep(ws.hashes, ws.root, dep, known);
  }
}

function predict(run: RunEntry | undefined, dep: string): Digest | undefined {
  if (!run) return undefined;
  const exact = run.outs[dep];
  if (exact) return exact.hash;
  for (const [o, rec] of Object.entries(run.outs)) {
    if (rec.files && dep.startsWith(o)) return rec.files[stripSlash(dep.slice(o.length))];
  }
  return undefined;
}

function show(v: ParamValue | undefined): string {
  return v === undefined ? "(unset)" : canonicalJson(v);
}

function isTree(v: ParamValue | undefined): v is { [key: string]: ParamValue } {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Lists changed params down to the leaves that differ (`param "a.b" changed: 1 -> 2`). */
function diffParams(
  prefix: string,
  before: Readonly<Record<string, ParamValue>>,
  after: Readonly<Record<string, ParamValue>>,
  out: string[],
): void {
  for (const k of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
    const a = before[k];
    const b = after[k];
    const key = prefix ? `${prefix}.${k}` : k;
    if (isTree(a) && isTree(b)) diffParams(key, a, b, out);
    else if (show(a) !== show(b)) out.push(`param "${key}" changed: ${show(a)} -> ${show(b)}`);
  }
}

function explain(
  prev: LockEntry,
  inst: Instance,
  deps: Record<string, Digest> | undefined,
  code: { files: Readonly<Record<string, Digest>>; packages: readonly string[] },
): string[] {
  const reasons: string[] = [];
  diffParams("", prev.params, inst.params, reasons);
  if (deps) {
    for (const d of [...new Set([...Object.keys(prev.deps), ...Object.keys(deps)])].sort()) {
      if (prev.deps[d] === undefined) reasons.push(`dep "${d}" added`);
      else if (deps[d] === undefined) reasons.push(`dep "${d}" removed`);
      else if (prev.deps[d] !== deps[d]) reasons.push(`dep "${d}" changed`);
    }
  }
  for (const f of [...new Set([...Object.keys(prev.code), ...Object.keys(code.files)])].sort()) {
    if (prev.code[f] === undefined) reasons.push(`code file "${f}" added`);
    else if (code.files[f] === undefined) reasons.push(`code file "${f}" no longer imported`);
    else if (prev.code[f] !== code.files[f]) reasons.push(`code file "${f}" changed`);
  }
  const before = new Set(prev.packages ?? []);
  const after = new Set(code.packages);
  const added = [...after].filter((p) => !before.has(p));
  const removed = [...before].filter((p) => !after.has(p));
  if (added.length || removed.length) {
    const list = [...added.map((p) => `+${p}`), ...removed.map((p) => `-${p}`)];
    const more = list.length > 6 ? ` and ${list.length - 6} more` : "";
    reasons.push(`npm packages changed: ${list.slice(0, 6).join(", ")}${more}`);
  }
  if (prev.run !== inst.run) reasons.push(`run module changed: "${prev.run}" -> "${inst.run}"`);
  return reasons;
}
