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
  const scan = new StatusScan(graph, ws, options, await ignoredOutsOf(graph, ws.root));
  const out: InstanceStatus[] = [];
  for (const inst of graph.instances) {
    if (scan.selected.has(inst.name)) out.push(await scan.judge(inst));
  }
  return out;
}

/** An instance's dep hashes as far as they are known, and why the rest are not. */
interface KnownDeps {
  readonly hashes: Record<string, Digest>;
  readonly unknownBecause: string[];
}

/** One status pass: what was decided for the instances before, in graph order. */
class StatusScan {
  readonly selected: ReadonlySet<string>;
  readonly #graph: Graph;
  readonly #ws: Workspace;
  readonly #force: ReadonlySet<string>;
  readonly #ignored: ReadonlySet<string>;
  readonly #entries: Readonly<Record<string, LockEntry>>;
  readonly #byName: Map<string, Instance>;
  readonly #states = new Map<
    string,
    { state: InstanceState; run?: RunEntry; leftMissing?: boolean }
  >();

  constructor(graph: Graph, ws: Workspace, options: StatusOptions, ignored: ReadonlySet<string>) {
    this.#graph = graph;
    this.#ws = ws;
    this.#force = options.force ?? new Set();
    this.#ignored = ignored;
    this.#entries = readLockFile(ws.lockPath).profiles[graph.profile] ?? {};
    this.selected = new Set(options.selected ?? graph.instances.map((i) => i.name));
    this.#byName = new Map(graph.instances.map((i) => [i.name, i]));
  }

  /** The status of `inst`; its upstream must have been judged first. */
  async judge(inst: Instance): Promise<InstanceStatus> {
    const prev: LockEntry | undefined = this.#entries[inst.name];
    const deps = this.#depsOf(inst);
    const code = await this.#ws.code.info(inst.run);
    const forced = this.#force.has(inst.name);
    const reasons: string[] = forced ? ["forced"] : [];
    const notes: string[] = [];
    let state: InstanceState = "run";
    let run: RunEntry | undefined;
    if (deps.unknownBecause.length) {
      reasons.push(...new Set(deps.unknownBecause));
      if (prev) reasons.push(...explain(prev, inst, undefined, code));
    } else {
      const key = instanceKey(inst, deps.hashes, code);
      run = this.#ws.cache.getRun(key);
      this.#compare(inst, prev, key, deps.hashes, code, reasons, notes);
      state = !reasons.length ? "up-to-date" : run && !forced ? "restore" : "run";
    }
    const leftMissing = state === "up-to-date" && notes.length > 0;
    this.#states.set(inst.name, {
      state,
      ...(run ? { run } : {}),
      ...(leftMissing ? { leftMissing } : {}),
    });
    return { name: inst.name, state, reasons, ...(leftMissing ? { notes } : {}) };
  }

  /** Why an instance with a known key is not up to date (into `reasons`), and remarks. */
  #compare(
    inst: Instance,
    prev: LockEntry | undefined,
    key: Digest,
    deps: Record<string, Digest>,
    code: Parameters<typeof explain>[3],
    reasons: string[],
    notes: string[],
  ): void {
    if (!prev) {
      reasons.push(`never run in profile "${this.#graph.profile}"`);
    } else if (prev.key !== key) {
      const why = explain(prev, inst, deps, code);
      reasons.push(...(why.length ? why : ["definition changed"]));
    } else {
      const ws = this.#ws;
      const changes = splitChanges(changedOuts(ws, inst, prev), this.#ignored, {
        hashes: ws.hashes,
        root: ws.root,
        entry: prev,
      });
      for (const c of changes.stale) reasons.push(`out "${c.path}" ${c.why}`);
      for (const c of changes.restorable) notes.push(`out "${c.path}" missing (restorable)`);
    }
  }

  /**
   * Each dep's hash: on disk, or as the lock records it for large outs an up-to-date producer
   * left missing, or predicted from the cache entry of the one producer that would restore.
   */
  #depsOf(inst: Instance): KnownDeps {
    const hashes: Record<string, Digest> = {};
    const unknownBecause: string[] = [];
    const pendingUp: string[] = [];
    for (const dep of inst.deps) {
      const producers = producersOf(this.#byName, inst, dep).map((u) => u.name)
        .filter((u) => this.selected.has(u));
      const pending = producers.filter((p) => this.#states.get(p)?.state !== "up-to-date");
      if (!pending.length) {
        const ups = producers.filter((p) => this.#states.get(p)?.leftMissing);
        const h = (ups.length ? this.#recorded(ups, dep) : undefined) ??
          this.#ws.hashes.hashPath(resolve(this.#ws.root, dep));
        if (h === undefined) unknownBecause.push(`dep "${dep}" is missing`);
        else hashes[dep] = h;
        continue;
      }
      const predicted = pending.length === 1
        ? predict(this.#states.get(pending[0]!)?.run, dep)
        : undefined;
      if (predicted !== undefined) hashes[dep] = predicted;
      else pendingUp.push(...pending);
    }
    const ups = [...new Set(pendingUp)];
    if (ups.length) {
      const more = ups.length > 3 ? ` and ${ups.length - 3} more` : "";
      unknownBecause.push(`upstream ${ups.slice(0, 3).join(", ")}${more} will run`);
    }
    return { hashes, unknownBecause };
  }

  #recorded(producers: readonly string[], dep: string): Digest | undefined {
    const known = producers.flatMap((p) => {
      const entry = this.#entries[p];
      return entry ? [{ entry, run: this.#ws.cache.getRun(entry.key) }] : [];
    });
    return recordedDep(this.#ws.hashes, this.#ws.root, dep, known);
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
