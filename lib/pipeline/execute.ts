/**
 * The executor: runs the selected instances of a validated graph, in dependency order, up to
 * `jobs` children at once. Each instance is up to date (lock key and outs match), restored from
 * the cache, or run in a sandboxed child whose outs move into place only on success. A failure
 * skips its downstream and lets independent instances finish.
 *
 * @module
 */
import { join } from "node:path";
import type { RunEntry } from "./cache.ts";
import type { CodeInfo } from "./code_hash.ts";
import { instanceKey } from "./fingerprint.ts";
import type { Graph, Instance } from "./graph.ts";
import type { Digest } from "./hash.ts";
import { type LockEntry, type LockFile, readLockFile, writeLockFile } from "./lock_file.ts";
import { removePath } from "./fs_util.ts";
import { differingOuts } from "./replication.ts";
import { ignoredFilesOf, ignoredOutsOf, splitChanges } from "./missing_outs.ts";
import { placeOuts, recordedOf } from "./outs.ts";
import { tryRestore } from "./restore.ts";
import { type DepHashes, MissingOutProvider } from "./missing_provider.ts";
import type { SandboxOptions, SandboxResult } from "./sandbox.ts";
import { ChildRunner } from "./child_runner.ts";
import { downstreamIndex, workerRanks } from "./priority.ts";
import { ChildRegistry, CHILDREN_FILE, reapOrphans, trackRegistry } from "./children.ts";
import { recordTimings, timingPath, type TimingSample } from "./timing.ts";
import { changedOuts, saveWorkspaceState, type Workspace } from "./workspace.ts";

export { flattenMetrics } from "./outs.ts";

/** How an instance ended. */
export type Outcome = "ran" | "restored" | "up-to-date" | "failed" | "skipped";

/** Events the executor emits for reporters. */
export type ReproEvent =
  | { readonly type: "start"; readonly name: string }
  | { readonly type: "warning"; readonly name: string; readonly message: string }
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
  /** Default per-instance time limit in seconds (a stage's own `timeout:` wins). */
  readonly timeout?: number;
  /** Receives events. */
  readonly onEvent?: (event: ReproEvent) => void;
  /**
   * Scale-out hook (`scale_out.ts`), before the cache lookup of an instance that is not up to
   * date: fetch its run record from a remote, or wait for another shard; a problem fails it.
   */
  readonly beforeRestore?: (name: string, key: Digest) => Promise<string | undefined>;
  /** Scale-out hook, after a fresh result was stored in the cache (push it to a remote). */
  readonly afterStore?: (name: string, key: Digest) => Promise<void>;
  /** Check mode restores these instead of rerunning them (a shard's shared upstream: shard 1's). */
  readonly checkSkip?: ReadonlySet<string>;
  /** Runs one child: `runSandboxed` (default) or another executor's drop-in (`executor/`). */
  readonly runChild?: (options: SandboxOptions) => Promise<SandboxResult>;
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

/** Least time between two writes of the lock while a run goes on. */
const LOCK_FLUSH_MS = 10_000;

/** Writes a profile's entries into the lock, keeping the other profiles as they are on disk. */
function saveLock(path: string, profile: string, entries: Record<string, LockEntry>): void {
  const latest = readLockFile(path);
  const next: LockFile = { ...latest, profiles: { ...latest.profiles, [profile]: entries } };
  writeLockFile(path, next);
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
  const emit = options.onEvent ?? (() => {});
  const check = options.check ?? false;
  const lock = readLockFile(ws.lockPath);
  const prevEntries: Record<string, LockEntry> = { ...(lock.profiles[graph.profile] ?? {}) };
  const entries: Record<string, LockEntry> = { ...prevEntries };
  const outcomes = new Map<string, { outcome: Outcome; error?: string }>();
  const mismatched = new Set<string>();
  const done = new Map<string, Promise<Outcome>>();
  const samples = new Map<string, TimingSample>();

  // Children of a runner that died (SIGKILL, power loss) may still run: stop them and discard
  // their temp folders before anything else. Then a temp folder unique to this run.
  const childrenPath = join(ws.stateDir, CHILDREN_FILE);
  await reapOrphans(childrenPath);
  removePath(ws.tmpDir);
  const runDir = join(ws.tmpDir, `${Deno.pid}-${Date.now().toString(36)}`);
  const registry = new ChildRegistry(childrenPath);
  const untrack = trackRegistry(registry);
  const children = new ChildRunner({
    ws,
    runDir,
    jobs,
    registry,
    emit,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
    ...(options.runChild ? { runChild: options.runChild } : {}),
    ranks: workerRanks(instances),
  });
  const downstream = downstreamIndex(instances);
  // Downstream instances of `name` whose selected upstream has all finished.
  const nowReady = (name: string) =>
    (downstream.get(name) ?? []).filter((d) =>
      d.upstream.every((u) => !selected.has(u) || outcomes.has(u))
    ).map((d) => d.name);

  // Finished instances land in the lock (and their durations in the timing record) as they come,
  // at most every LOCK_FLUSH_MS, so a run that is killed keeps them, and what is done can be
  // committed while the rest runs.
  let flushedAt = -Infinity;
  const flush = () => {
    if (check || performance.now() - flushedAt < LOCK_FLUSH_MS) return;
    saveLock(ws.lockPath, graph.profile, entries);
    flushedAt = performance.now();
    try {
      recordTimings(timingPath(ws.stateDir, graph.profile), samples);
      samples.clear();
    } catch {
      // the timing record is a hint for estimates: the end of the run tries again
    }
  };

  const finish = (
    name: string,
    outcome: Outcome,
    t0: number,
    error?: string,
    log?: string,
  ): Outcome => {
    outcomes.set(name, { outcome, ...(error ? { error } : {}) });
    children.settled(name, nowReady(name));
    if (outcome === "ran" || outcome === "restored") flush();
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

  const ignored = await ignoredOutsOf(graph, ws.root);
  /** A lock entry's record of the ignored files in a run's folder outs (when there are any). */
  const largeOf = async (run: RunEntry) => {
    const files = await ignoredFilesOf(ws.root, run);
    return Object.keys(files).length ? { ignoredFiles: files } : {};
  };

  const missingOuts = new MissingOutProvider({
    graph,
    ws,
    entries,
    runDir,
    children,
    emit,
    check,
    mismatched,
    samples,
    ...(options.beforeRestore ? { beforeRestore: options.beforeRestore } : {}),
    ...(options.afterStore ? { afterStore: options.afterStore } : {}),
  });

  /**
   * An instance that is not forced: up to date (its lock entry's key, outs in place or only
   * restorably missing), else restored from the cache; `undefined` when it must run.
   */
  const reuse = async (inst: Instance, at: Keyed, t0: number): Promise<Outcome | undefined> => {
    const prev = prevEntries[inst.name];
    const changes = prev && prev.key === at.key
      ? splitChanges(changedOuts(ws, inst, prev), ignored, {
        hashes: ws.hashes,
        root: ws.root,
        entry: prev,
      })
      : undefined;
    if (prev && changes && !changes.stale.length) {
      if (changes.restorable.length) {
        missingOuts.leftMissing(inst.name, changes.restorable.map((c) => c.path));
      }
      entries[inst.name] = { ...prev, ...refreshed(prev, inst, at.deps.hashes, at.code) };
      return finish(inst.name, "up-to-date", t0);
    }
    const waited = await options.beforeRestore?.(inst.name, at.key);
    if (waited) return finish(inst.name, "failed", t0, waited);
    const restored = tryRestore(
      ws,
      inst,
      at.key,
      runDir,
      (message) => emit({ type: "warning", name: inst.name, message }),
    );
    if (restored) {
      entries[inst.name] = { ...lockEntry(inst, at, restored), ...(await largeOf(restored)) };
      return finish(inst.name, "restored", t0);
    }
    return undefined;
  };

  /** Runs an instance in a child, caches its result and moves its outs into place. */
  const runFresh = async (inst: Instance, at: Keyed, t0: number): Promise<Outcome> => {
    // First bring back the large outs its deps name that were left missing (unless it reads
    // only committed files: figures and reports need no weights).
    const needs = inst.needsLarge === false ? [] : [...at.deps.needs];
    // While it waits for those, it does not hold a worker back from others.
    if (needs.length) children.unready(inst.name);
    for (const up of needs) {
      const why = await missingOuts.provide(up, inst.name);
      if (why) return finish(inst.name, "failed", t0, why);
    }
    // The worker is kept until `finish`, so the instances this one readies get it first.
    const r = await children.run(inst, { announce: true, keepWorker: true });
    if ("error" in r) {
      if (r.interrupted) return finish(inst.name, "skipped", r.t1 ?? t0, "interrupted");
      return finish(inst.name, "failed", r.t1 ?? t0, r.error, r.log);
    }
    const { collected, dir, t1 } = r;
    if (check) {
      const prev = prevEntries[inst.name];
      if (!prev || differingOuts(prev, recordedOf(collected)).length > 0) mismatched.add(inst.name);
    }
    // A replicated result is as good as a fresh one: cache it, so the next repro restores it.
    try {
      if (!mismatched.has(inst.name)) {
        ws.cache.store(at.key, collected, dir);
        await options.afterStore?.(inst.name, at.key);
      }
    } catch (e) {
      removePath(dir);
      return finish(inst.name, "failed", t1, (e as Error).message, r.log);
    }
    placeOuts(ws, inst, dir, collected);
    removePath(dir);
    entries[inst.name] = { ...lockEntry(inst, at, collected), ...(await largeOf(collected)) };
    samples.set(inst.name, { key: at.key, seconds: r.seconds, measures: r.measures });
    return finish(inst.name, "ran", t1, undefined, r.log);
  };

  const processOne = async (inst: Instance): Promise<Outcome> => {
    const ups = inst.upstream.filter((u) => selected.has(u));
    const upOutcomes = await Promise.all(ups.map((u) => done.get(u)!));
    children.markReady(inst.name);
    const t0 = performance.now();
    const badUp = ups.find((_, k) => upOutcomes[k] === "failed" || upOutcomes[k] === "skipped");
    if (badUp) return finish(inst.name, "skipped", t0, `upstream ${badUp} did not succeed`);
    if (options.signal?.aborted) return finish(inst.name, "skipped", t0, "interrupted");
    const deps = missingOuts.depsOf(inst);
    if (deps.missing.length) {
      return finish(
        inst.name,
        "failed",
        t0,
        `Missing dep "${deps.missing[0]}": not found in the workspace`,
      );
    }
    let at: Keyed;
    try {
      const code = await ws.code.info(inst.run);
      at = { key: instanceKey(inst, deps.hashes, code), deps, code };
    } catch (e) {
      return finish(inst.name, "failed", t0, (e as Error).message);
    }
    const forced = (check && !options.checkSkip?.has(inst.name)) ||
      (options.force?.has(inst.name) ?? false);
    return (forced ? undefined : await reuse(inst, at, t0)) ?? await runFresh(inst, at, t0);
  };

  // An unexpected throw (a hook, the executor, the file system) fails that instance only: the
  // others finish and the lock still records them.
  const settle = (inst: Instance): Promise<Outcome> => {
    const t0 = performance.now();
    return processOne(inst).catch((e) => finish(inst.name, "failed", t0, (e as Error).message));
  };
  for (const inst of instances) done.set(inst.name, settle(inst));
  await Promise.all(done.values());

  // Drop lock entries of instances the pipeline no longer has (only on a full run).
  if (!options.selected) {
    const names = new Set(graph.instances.map((i) => i.name));
    for (const n of Object.keys(entries)) if (!names.has(n)) delete entries[n];
  }
  if (!check) saveLock(ws.lockPath, graph.profile, entries);
  untrack();
  saveWorkspaceState(ws);
  try {
    // Wall-clock figures live here, apart from keys, outs and the lock.
    recordTimings(timingPath(ws.stateDir, graph.profile), samples);
  } catch {
    // the timing record is a hint for estimates
  }
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
    timings: children.timings,
  };
}

/** An instance's key and what it was computed from. */
interface Keyed {
  readonly key: Digest;
  readonly deps: DepHashes;
  readonly code: CodeInfo;
}

/** The lock entry of an instance whose outs are `run`'s (fresh or restored). */
function lockEntry(inst: Instance, at: Keyed, run: RunEntry): LockEntry {
  return {
    key: at.key,
    stage: inst.stage,
    run: inst.run,
    vars: inst.vars,
    params: inst.params,
    deps: at.deps.hashes,
    code: at.code.files,
    packages: at.code.packages,
    ...recordedOf(run),
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
