/**
 * The executor: runs the selected instances of a validated graph, in dependency order, up to
 * `jobs` children at once. Each instance is up to date (lock key and outs match), restored from
 * the cache, or run in a sandboxed child whose outs move into place only on success. A failure
 * skips its downstream and lets independent instances finish.
 *
 * @module
 */
import { dirname, join, resolve } from "node:path";
import type { OutRecord, RunEntry } from "./cache.ts";
import { instanceKey } from "./fingerprint.ts";
import type { Graph, Instance } from "./graph.ts";
import { type Digest, listFiles, manifestDigest, sha256 } from "./hash.ts";
import { type LockEntry, type LockFile, readLockFile, writeLockFile } from "./lock_file.ts";
import { removePath, writeFileAtomic } from "./fs_util.ts";
import { differingOuts } from "./replication.ts";
import { runSandboxed } from "./sandbox.ts";
import { childThreads } from "./threads.ts";
import { changedOuts, hashDeps, saveWorkspaceState, type Workspace } from "./workspace.ts";

/** How an instance ended. */
export type Outcome = "ran" | "restored" | "up-to-date" | "failed" | "skipped";

/** Events the executor emits for reporters. */
export type ReproEvent =
  | { readonly type: "start"; readonly name: string }
  | {
    readonly type: "progress";
    readonly name: string;
    readonly done: number;
    readonly total: number;
  }
  | {
    readonly type: "finish";
    readonly name: string;
    readonly outcome: Outcome;
    readonly seconds: number;
    readonly error?: string;
    readonly log?: string;
  };

/** Options for {@linkcode reproduce}. */
export interface ReproOptions {
  /** Instances to consider (names, in graph order); default all. */
  readonly selected?: readonly string[];
  /** Instances that run even when up to date or cached (default none). */
  readonly force?: ReadonlySet<string>;
  /** Most children at once (default: number of cores). */
  readonly jobs?: number;
  /**
   * Check mode: run every selected instance, compare its outs with the lock, keep the lock and
   * the cache as they are.
   */
  readonly check?: boolean;
  /** Aborting stops children and starts nothing new. */
  readonly signal?: AbortSignal;
  /** Receives events. */
  readonly onEvent?: (event: ReproEvent) => void;
}

/** What a repro did, names in graph order. */
export interface ReproResult {
  /** Ran in a child. */
  readonly ran: string[];
  /** Up to date or restored from the cache. */
  readonly cached: string[];
  /** Failed. */
  readonly failed: string[];
  /** Not attempted: an upstream failed, or the run was interrupted. */
  readonly skipped: string[];
  /** Check mode: instances whose outs differ from the lock. */
  readonly mismatched: string[];
  /** Outcome and error per instance. */
  readonly outcomes: ReadonlyMap<string, { outcome: Outcome; error?: string }>;
  /** True when the signal aborted the run. */
  readonly interrupted: boolean;
  /** Wall-clock start and end (ms since the epoch) of each child run. */
  readonly timings: ReadonlyMap<string, { start: number; end: number }>;
}

class Semaphore {
  #free: number;
  #waiting: (() => void)[] = [];
  constructor(n: number) {
    this.#free = n;
  }
  async acquire(): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return;
    }
    await new Promise<void>((r) => this.#waiting.push(r));
  }
  release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#free++;
  }
}

/** Flattens the numbers of a JSON value into dotted paths. */
export function flattenMetrics(
  value: unknown,
  prefix = "",
  out: Record<string, number> = {},
): Record<string, number> {
  if (typeof value === "number" && Number.isFinite(value)) out[prefix || "value"] = value;
  else if (Array.isArray(value)) {
    value.forEach((v, i) => flattenMetrics(v, prefix ? `${prefix}.${i}` : String(i), out));
  } else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      flattenMetrics(v, prefix ? `${prefix}.${k}` : k, out);
    }
  }
  return out;
}

/**
 * Reproduces the selected instances of a graph in a workspace and updates `pipeline.lock`
 * (except in check mode). Never throws for a failing stage: see the result.
 */
export async function reproduce(
  graph: Graph,
  ws: Workspace,
  options: ReproOptions = {},
): Promise<ReproResult> {
  const selectedNames = options.selected ?? graph.instances.map((i) => i.name);
  const selected = new Set(selectedNames);
  const instances = graph.instances.filter((i) => selected.has(i.name));
  const jobs = Math.max(1, options.jobs ?? navigator.hardwareConcurrency ?? 1);
  const sem = new Semaphore(jobs);
  const emit = options.onEvent ?? (() => {});
  const check = options.check ?? false;
  const lock = readLockFile(ws.lockPath);
  const prevEntries: Record<string, LockEntry> = { ...(lock.profiles[graph.profile] ?? {}) };
  const entries: Record<string, LockEntry> = { ...prevEntries };
  const outcomes = new Map<string, { outcome: Outcome; error?: string }>();
  const mismatched = new Set<string>();
  const done = new Map<string, Promise<Outcome>>();
  const timings = new Map<string, { start: number; end: number }>();
  const cores = navigator.hardwareConcurrency ?? 1;
  let running = 0;
  // Instances whose upstreams are done and which have not started a child yet (for threads).
  const ready = new Set<string>();

  removePath(ws.tmpDir);

  const finish = (
    name: string,
    outcome: Outcome,
    t0: number,
    error?: string,
    log?: string,
  ): Outcome => {
    ready.delete(name);
    outcomes.set(name, { outcome, ...(error ? { error } : {}) });
    emit({
      type: "finish",
      name,
      outcome,
      seconds: (performance.now() - t0) / 1000,
      ...(error ? { error } : {}),
      ...(log ? { log } : {}),
    });
    return outcome;
  };

  const processOne = async (inst: Instance): Promise<Outcome> => {
    const ups = inst.upstream.filter((u) => selected.has(u));
    const upOutcomes = await Promise.all(ups.map((u) => done.get(u)!));
    ready.add(inst.name);
    const t0 = performance.now();
    const badUp = ups.find((_, k) => upOutcomes[k] === "failed" || upOutcomes[k] === "skipped");
    if (badUp) return finish(inst.name, "skipped", t0, `upstream ${badUp} did not succeed`);
    if (options.signal?.aborted) return finish(inst.name, "skipped", t0, "interrupted");
    const deps = hashDeps(ws, inst);
    if (deps.missing.length) {
      return finish(
        inst.name,
        "failed",
        t0,
        `Missing dep "${deps.missing[0]}": not found in the workspace`,
      );
    }
    let key: Digest;
    let code;
    try {
      code = await ws.code.info(inst.run);
      key = instanceKey(inst, deps.hashes, code);
    } catch (e) {
      return finish(inst.name, "failed", t0, (e as Error).message);
    }
    const entryFor = (run: RunEntry): LockEntry => ({
      key,
      stage: inst.stage,
      run: inst.run,
      vars: inst.vars,
      params: inst.params,
      deps: deps.hashes,
      code: code.files,
      packages: code.packages,
      outs: Object.fromEntries(Object.entries(run.outs).map(([p, r]) => [p, r.hash])),
      metrics: run.metrics,
    });
    const forced = check || (options.force?.has(inst.name) ?? false);
    if (!forced) {
      const prev = prevEntries[inst.name];
      if (prev && prev.key === key && !changedOuts(ws, inst, prev).length) {
        entries[inst.name] = { ...prev, ...refreshed(prev, inst, deps.hashes, code) };
        return finish(inst.name, "up-to-date", t0);
      }
      const cached = ws.cache.getRun(key);
      if (cached && sameOutSet(cached, inst)) {
        const restoreDir = join(ws.tmpDir, `${safeName(inst.name)}.restore`);
        removePath(restoreDir);
        const problem = ws.cache.materialize(cached, restoreDir);
        if (!problem) {
          placeOuts(ws, inst, restoreDir, cached);
          removePath(restoreDir);
          entries[inst.name] = entryFor(cached);
          return finish(inst.name, "restored", t0);
        }
        removePath(restoreDir);
      }
    }
    await sem.acquire();
    ready.delete(inst.name);
    running++;
    try {
      if (options.signal?.aborted) return finish(inst.name, "skipped", t0, "interrupted");
      emit({ type: "start", name: inst.name });
      const t1 = performance.now();
      const dir = join(ws.tmpDir, safeName(inst.name));
      removePath(dir);
      Deno.mkdirSync(dir, { recursive: true });
      const ctxOuts: string[] = [];
      for (const o of inst.outs) {
        const abs = join(dir, o);
        if (o.endsWith("/")) Deno.mkdirSync(abs, { recursive: true });
        else Deno.mkdirSync(dirname(abs), { recursive: true });
        ctxOuts.push(relPath(ws.root, abs) + (o.endsWith("/") ? "/" : ""));
      }
      const start = Date.now();
      const result = await runSandboxed({
        workspace: ws.root,
        module: resolve(ws.root, inst.run),
        writeDir: dir,
        net: inst.net,
        threads: childThreads(cores, jobs, running, ready.size),
        ctx: {
          name: inst.name,
          vars: inst.vars,
          params: inst.params,
          deps: inst.deps,
          outs: ctxOuts,
        },
        ...(options.signal ? { signal: options.signal } : {}),
        onProgress: (d, t) => emit({ type: "progress", name: inst.name, done: d, total: t }),
      });
      timings.set(inst.name, { start, end: Date.now() });
      try {
        writeFileAtomic(join(ws.stateDir, "logs", `${safeName(inst.name)}.log`), result.log);
      } catch {
        // a log is a convenience
      }
      if (!result.ok) {
        removePath(dir);
        if (result.error === "interrupted") return finish(inst.name, "skipped", t1, "interrupted");
        return finish(inst.name, "failed", t1, result.error, result.log);
      }
      const collected = collectOuts(dir, inst);
      if (typeof collected === "string") {
        removePath(dir);
        return finish(inst.name, "failed", t1, collected, result.log);
      }
      if (check) {
        const prev = prevEntries[inst.name];
        const outsNow = Object.fromEntries(
          Object.entries(collected.outs).map(([p, r]) => [p, r.hash]),
        );
        const now = { outs: outsNow, metrics: collected.metrics };
        if (!prev || differingOuts(prev, now).length > 0) mismatched.add(inst.name);
      }
      // A replicated result is as good as a fresh one: cache it, so the next repro restores it.
      if (!mismatched.has(inst.name)) ws.cache.store(key, collected, dir);
      placeOuts(ws, inst, dir, collected);
      removePath(dir);
      entries[inst.name] = entryFor(collected);
      return finish(inst.name, "ran", t1, undefined, result.log);
    } finally {
      running--;
      sem.release();
    }
  };

  for (const inst of instances) done.set(inst.name, processOne(inst));
  await Promise.all(done.values());

  // Drop lock entries of instances the pipeline no longer has (only on a full run).
  if (!options.selected) {
    const names = new Set(graph.instances.map((i) => i.name));
    for (const n of Object.keys(entries)) if (!names.has(n)) delete entries[n];
  }
  if (!check) {
    const latest = readLockFile(ws.lockPath);
    const next: LockFile = {
      ...latest,
      profiles: { ...latest.profiles, [graph.profile]: entries },
    };
    writeLockFile(ws.lockPath, next);
  }
  saveWorkspaceState(ws);
  removePath(ws.tmpDir);

  const by = (o: Outcome[]) =>
    instances.filter((i) => o.includes(outcomes.get(i.name)?.outcome ?? "skipped")).map((i) =>
      i.name
    );
  return {
    ran: by(["ran"]),
    cached: by(["restored", "up-to-date"]),
    failed: by(["failed"]),
    skipped: by(["skipped"]),
    mismatched: instances.filter((i) => mismatched.has(i.name)).map((i) => i.name),
    outcomes,
    interrupted: options.signal?.aborted ?? false,
    timings,
  };
}

function refreshed(
  prev: LockEntry,
  inst: Instance,
  deps: Record<string, Digest>,
  code: { files: Record<string, Digest>; packages: readonly string[] },
) {
  // Same key: only cosmetic fields may need updating (e.g. an entry written by an older runner).
  return {
    stage: inst.stage,
    run: inst.run,
    vars: inst.vars,
    params: inst.params,
    deps,
    code: code.files,
    packages: code.packages,
    outs: prev.outs,
  };
}

function sameOutSet(run: RunEntry, inst: Instance): boolean {
  const keys = Object.keys(run.outs);
  return keys.length === inst.outs.length && inst.outs.every((o) => Object.hasOwn(run.outs, o));
}

/** A file-name-safe form of an instance name. */
export function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.@=-]/g, "_");
}

function relPath(root: string, abs: string): string {
  return abs.startsWith(`${root}/`) ? abs.slice(root.length + 1) : abs;
}

/** Hashes the outs written under `dir`, checks each declared out exists with the right kind. */
function collectOuts(dir: string, inst: Instance): RunEntry | string {
  const outs: Record<string, OutRecord> = {};
  const metrics: Record<string, Record<string, number>> = {};
  for (const o of inst.outs) {
    const abs = join(dir, o);
    let info: Deno.FileInfo;
    try {
      info = Deno.statSync(abs);
    } catch {
      return `Stage did not write its declared out "${o}"`;
    }
    if (o.endsWith("/")) {
      if (!info.isDirectory) {
        return `Declared out "${o}" is a folder (it ends in "/"), but the stage wrote a file`;
      }
      const files: Record<string, Digest> = {};
      for (const rel of listFiles(abs)) files[rel] = sha256(Deno.readFileSync(join(abs, rel)));
      outs[o] = { hash: manifestDigest(files), files };
    } else {
      if (info.isDirectory) {
        return `Declared out "${o}" is a file, but the stage wrote a folder (declare it as "${o}/")`;
      }
      outs[o] = { hash: sha256(Deno.readFileSync(abs)) };
    }
  }
  for (const m of inst.metrics) {
    try {
      metrics[m] = flattenMetrics(JSON.parse(Deno.readTextFileSync(join(dir, m))));
    } catch (e) {
      return `Invalid metrics file "${m}": expected JSON (${(e as Error).message})`;
    }
  }
  return { outs, metrics };
}

/** Moves the outs from `dir` into the workspace (replacing old copies) and records their hashes. */
function placeOuts(ws: Workspace, inst: Instance, dir: string, run: RunEntry): void {
  for (const o of inst.outs) {
    const dest = resolve(ws.root, o);
    removePath(dest);
    Deno.mkdirSync(dirname(dest), { recursive: true });
    Deno.renameSync(join(dir, o), dest);
    const rec = run.outs[o]!;
    if (rec.files) {
      for (const [rel, h] of Object.entries(rec.files)) ws.hashes.remember(join(dest, rel), h);
    } else ws.hashes.remember(dest, rec.hash);
  }
}
