/**
 * One `repro`: each selected instance waits for its upstream, then is up to date, restored from
 * the cache or run in a child; the lock and the timing record are written as instances finish and
 * at the end. `reproduce` in `execute.ts` is its entry point.
 *
 * @module
 */
import { join } from "node:path";
import type { RunEntry } from "./cache.ts";
import type { CodeInfo } from "./code_hash.ts";
import { instanceKey } from "./fingerprint.ts";
import type { Graph, Instance } from "./graph.ts";
import type { Digest } from "./hash.ts";
import { type LockEntry, readLockFile, writeLockFile } from "./lock_file.ts";
import { removePath } from "./fs_util.ts";
import { differingOuts } from "./replication.ts";
import { ignoredFilesOf, ignoredOutsOf, splitChanges } from "./missing_outs.ts";
import { placeOuts, recordedOf } from "./outs.ts";
import { tryRestore } from "./restore.ts";
import { type DepHashes, MissingOutProvider } from "./missing_provider.ts";
import { ChildRunner } from "./child_runner.ts";
import { downstreamIndex, workerRanks } from "./priority.ts";
import { ChildRegistry, CHILDREN_FILE, reapOrphans, trackRegistry } from "./children.ts";
import { recordTimings, timingPath, type TimingSample } from "./timing.ts";
import { changedOuts, saveWorkspaceState, type Workspace } from "./workspace.ts";
import type { Outcome, ReproEvent, ReproOptions, ReproResult } from "./execute.ts";

/** Least time between two writes of the lock while a run goes on. */
const LOCK_FLUSH_MS = 10_000;

/** An instance's key and what it was computed from. */
interface Keyed {
  readonly key: Digest;
  readonly deps: DepHashes;
  readonly code: CodeInfo;
}

/** A repro in progress; see the module doc. */
export class ReproRun {
  readonly #graph: Graph;
  readonly #ws: Workspace;
  readonly #o: ReproOptions;
  readonly #selected: Set<string>;
  readonly #instances: Instance[];
  readonly #check: boolean;
  readonly #emit: (event: ReproEvent) => void;
  readonly #prev: Record<string, LockEntry>;
  readonly #entries: Record<string, LockEntry>;
  /** The entries this run decided (up to date, restored or ran): the rest follow the disk. */
  readonly #decided = new Set<string>();
  readonly #outcomes = new Map<string, { outcome: Outcome; error?: string }>();
  readonly #mismatched = new Set<string>();
  readonly #done = new Map<string, Promise<Outcome>>();
  readonly #samples = new Map<string, TimingSample>();
  // Pushes to the remote run beside the next instances; the run ends when they have.
  readonly #pushes: Promise<void>[] = [];
  readonly #downstream: Map<string, Instance[]>;
  #flushedAt = -Infinity;
  // Set up by `start`.
  #runDir = "";
  #children!: ChildRunner;
  #missingOuts!: MissingOutProvider;
  #ignored!: Awaited<ReturnType<typeof ignoredOutsOf>>;
  #untrack: () => void = () => {};

  constructor(graph: Graph, ws: Workspace, options: ReproOptions) {
    this.#graph = graph;
    this.#ws = ws;
    this.#o = options;
    this.#selected = new Set(options.selected ?? graph.instances.map((i) => i.name));
    this.#instances = graph.instances.filter((i) => this.#selected.has(i.name));
    this.#check = options.check ?? false;
    this.#emit = options.onEvent ?? (() => {});
    this.#prev = { ...(readLockFile(ws.lockPath).profiles[graph.profile] ?? {}) };
    this.#entries = { ...this.#prev };
    this.#downstream = downstreamIndex(this.#instances);
  }

  /** Runs every selected instance, writes the lock (unless checking) and says what happened. */
  async run(): Promise<ReproResult> {
    await this.#start();
    for (const inst of this.#instances) this.#done.set(inst.name, this.#settle(inst));
    await Promise.all(this.#done.values());
    await Promise.all(this.#pushes);
    this.#end();
    const by = (o: Outcome[]) =>
      this.#instances.filter((i) => o.includes(this.#outcomes.get(i.name)?.outcome ?? "skipped"))
        .map((i) => i.name);
    return {
      ran: by(["ran"]),
      cached: by(["restored", "up-to-date"]),
      failed: by(["failed"]),
      skipped: by(["skipped"]),
      mismatched: this.#instances.filter((i) => this.#mismatched.has(i.name)).map((i) => i.name),
      outcomes: this.#outcomes,
      interrupted: this.#o.signal?.aborted ?? false,
      timings: this.#children.timings,
    };
  }

  async #start(): Promise<void> {
    const ws = this.#ws;
    const options = this.#o;
    // Children of a runner that died (SIGKILL, power loss) may still run: stop them and discard
    // their temp folders before anything else. Then a temp folder unique to this run.
    const childrenPath = join(ws.stateDir, CHILDREN_FILE);
    await reapOrphans(childrenPath);
    removePath(ws.tmpDir);
    this.#runDir = join(ws.tmpDir, `${Deno.pid}-${Date.now().toString(36)}`);
    const registry = new ChildRegistry(childrenPath);
    this.#untrack = trackRegistry(registry);
    this.#children = new ChildRunner({
      ws,
      runDir: this.#runDir,
      jobs: Math.max(1, options.jobs ?? navigator.hardwareConcurrency ?? 1),
      registry,
      emit: this.#emit,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
      ...(options.runChild ? { runChild: options.runChild } : {}),
      ranks: workerRanks(this.#instances),
    });
    this.#ignored = await ignoredOutsOf(this.#graph, ws.root);
    this.#missingOuts = new MissingOutProvider({
      graph: this.#graph,
      ws,
      entries: this.#entries,
      runDir: this.#runDir,
      children: this.#children,
      emit: this.#emit,
      check: this.#check,
      mismatched: this.#mismatched,
      ignored: this.#ignored,
      samples: this.#samples,
      ...(options.beforeRestore ? { beforeRestore: options.beforeRestore } : {}),
      ...(options.afterStore ? { afterStore: (n, k) => Promise.resolve(this.#push(n, k)) } : {}),
    });
  }

  /**
   * Starts `afterStore` (a push to the remote) for a result just cached, without waiting for it:
   * the worker goes on to the next instance while the upload runs. The cache entry it reads is
   * complete and never changes; a push that throws is a warning (`cache push` retries it).
   */
  #push(name: string, key: Digest): void {
    const hook = this.#o.afterStore;
    if (!hook) return;
    this.#pushes.push(
      hook(name, key).catch((e) =>
        this.#emit({
          type: "warning",
          name,
          message: `could not push ${name}: ${(e as Error).message} (\`deno task cache push\`)`,
        })
      ),
    );
  }

  #end(): void {
    if (!this.#check) this.#saveLock(true);
    this.#untrack();
    saveWorkspaceState(this.#ws);
    this.#recordTimings();
    removePath(this.#ws.tmpDir);
  }

  /**
   * Writes the entries this run decided over the profile's entries as they are on disk now, so
   * that entries another run wrote meanwhile (a `git pull` of a shard's lock mid-run) are kept.
   * At the end of a full run, entries of instances the pipeline no longer has are dropped.
   */
  #saveLock(atEnd: boolean): void {
    const path = this.#ws.lockPath;
    const latest = readLockFile(path);
    const profile = this.#graph.profile;
    const merged: Record<string, LockEntry> = { ...(latest.profiles[profile] ?? {}) };
    for (const name of this.#decided) merged[name] = this.#entries[name]!;
    if (atEnd && !this.#o.selected) {
      const names = new Set(this.#graph.instances.map((i) => i.name));
      for (const n of Object.keys(merged)) if (!names.has(n)) delete merged[n];
    }
    writeLockFile(path, { ...latest, profiles: { ...latest.profiles, [profile]: merged } });
  }

  #decide(name: string, entry: LockEntry): void {
    this.#entries[name] = entry;
    this.#decided.add(name);
  }

  // Wall-clock figures live in the timing record, apart from keys, outs and the lock.
  #recordTimings(): void {
    try {
      recordTimings(timingPath(this.#ws.stateDir, this.#graph.profile), this.#samples);
      this.#samples.clear();
    } catch {
      // the timing record is a hint for estimates: a later write tries again
    }
  }

  // Finished instances land in the lock (and their durations in the timing record) as they come,
  // at most every LOCK_FLUSH_MS, so a run that is killed keeps them, and what is done can be
  // committed while the rest runs.
  // A lock that cannot be written now (a merge conflict in it, a full disk) fails no instance:
  // the run warns and goes on, and the end of the run writes it or fails loudly.
  #flush(name: string): void {
    if (this.#check || performance.now() - this.#flushedAt < LOCK_FLUSH_MS) return;
    this.#flushedAt = performance.now();
    try {
      this.#saveLock(false);
    } catch (e) {
      const message = `could not write pipeline.lock now (${(e as Error).message}); ` +
        `it is written at the end of the run`;
      this.#emit({ type: "warning", name, message });
    }
    this.#recordTimings();
  }

  // Downstream instances of `name` whose selected upstream has all finished.
  #nowReady(name: string): string[] {
    return (this.#downstream.get(name) ?? []).filter((d) =>
      d.upstream.every((u) => !this.#selected.has(u) || this.#outcomes.has(u))
    ).map((d) => d.name);
  }

  #finish(name: string, outcome: Outcome, t0: number, error?: string, log?: string): Outcome {
    this.#outcomes.set(name, { outcome, ...(error ? { error } : {}) });
    this.#children.settled(name, this.#nowReady(name));
    if (outcome === "ran" || outcome === "restored") this.#flush(name);
    this.#emit({
      type: "finish",
      name,
      outcome,
      seconds: (performance.now() - t0) / 1000,
      ...(error ? { error } : {}),
      ...(log ? { log } : {}),
    });
    return outcome;
  }

  // An unexpected throw (a hook, the executor, the file system) fails that instance only: the
  // others finish and the lock still records them.
  #settle(inst: Instance): Promise<Outcome> {
    const t0 = performance.now();
    return this.#processOne(inst).catch((e) =>
      this.#finish(inst.name, "failed", t0, (e as Error).message)
    );
  }

  async #processOne(inst: Instance): Promise<Outcome> {
    const ups = inst.upstream.filter((u) => this.#selected.has(u));
    const upOutcomes = await Promise.all(ups.map((u) => this.#done.get(u)!));
    this.#children.markReady(inst.name);
    const t0 = performance.now();
    const badUp = ups.find((_, k) => upOutcomes[k] === "failed" || upOutcomes[k] === "skipped");
    if (badUp) return this.#finish(inst.name, "skipped", t0, `upstream ${badUp} did not succeed`);
    if (this.#o.signal?.aborted) return this.#finish(inst.name, "skipped", t0, "interrupted");
    const deps = this.#missingOuts.depsOf(inst);
    if (deps.missing.length) {
      const why = `Missing dep "${deps.missing[0]}": not found in the workspace`;
      return this.#finish(inst.name, "failed", t0, why);
    }
    let at: Keyed;
    try {
      const code = await this.#ws.code.info(inst.run);
      at = { key: instanceKey(inst, deps.hashes, code), deps, code };
    } catch (e) {
      return this.#finish(inst.name, "failed", t0, (e as Error).message);
    }
    const forced = (this.#check && !this.#o.checkSkip?.has(inst.name)) ||
      (this.#o.force?.has(inst.name) ?? false);
    return (forced ? undefined : await this.#reuse(inst, at, t0)) ??
      await this.#runFresh(inst, at, t0);
  }

  /**
   * An instance that is not forced: up to date (its lock entry's key, outs in place or only
   * restorably missing), else restored from the cache; `undefined` when it must run.
   */
  async #reuse(inst: Instance, at: Keyed, t0: number): Promise<Outcome | undefined> {
    const ws = this.#ws;
    const prev = this.#prev[inst.name];
    const changes = prev && prev.key === at.key
      ? splitChanges(changedOuts(ws, inst, prev), this.#ignored, {
        hashes: ws.hashes,
        root: ws.root,
        entry: prev,
      })
      : undefined;
    if (prev && changes && !changes.stale.length) {
      if (changes.restorable.length) {
        this.#missingOuts.leftMissing(inst.name, changes.restorable.map((c) => c.path));
      }
      this.#decide(inst.name, { ...prev, ...refreshed(prev, inst, at) });
      return this.#finish(inst.name, "up-to-date", t0);
    }
    // Waiting for another shard's run may take long: hold no worker back meanwhile.
    const waited = await this.#o.beforeRestore?.(
      inst.name,
      at.key,
      () => this.#children.unready(inst.name),
    );
    if (waited) return this.#finish(inst.name, "failed", t0, waited);
    const warn = (message: string) => this.#emit({ type: "warning", name: inst.name, message });
    const restored = tryRestore(ws, inst, at.key, this.#runDir, warn);
    if (!restored) return undefined;
    this.#decide(inst.name, { ...lockEntry(inst, at, restored), ...(await this.#large(restored)) });
    return this.#finish(inst.name, "restored", t0);
  }

  /** Runs an instance in a child, caches its result and moves its outs into place. */
  async #runFresh(inst: Instance, at: Keyed, t0: number): Promise<Outcome> {
    const why = await this.#provideNeeds(inst, at);
    if (why) return this.#finish(inst.name, "failed", t0, why);
    // The worker is kept until `finish`, so the instances this one readies get it first.
    const r = await this.#children.run(inst, { announce: true, keepWorker: true });
    if ("error" in r) {
      if (r.interrupted) return this.#finish(inst.name, "skipped", r.t1 ?? t0, "interrupted");
      return this.#finish(inst.name, "failed", r.t1 ?? t0, r.error, r.log);
    }
    const { collected, dir, t1 } = r;
    if (this.#check) {
      const prev = this.#prev[inst.name];
      if (!prev || differingOuts(prev, recordedOf(collected)).length > 0) {
        this.#mismatched.add(inst.name);
      }
    }
    // A replicated result is as good as a fresh one: cache it, so the next repro restores it.
    try {
      if (!this.#mismatched.has(inst.name)) {
        this.#ws.cache.store(at.key, collected, dir);
        this.#push(inst.name, at.key);
      }
    } catch (e) {
      removePath(dir);
      return this.#finish(inst.name, "failed", t1, (e as Error).message, r.log);
    }
    // The entry is complete before the outs move, so no flush sees new outs with an old entry.
    const entry = { ...lockEntry(inst, at, collected), ...(await this.#large(collected)) };
    placeOuts(this.#ws, inst, dir, collected);
    removePath(dir);
    this.#decide(inst.name, entry);
    this.#samples.set(inst.name, { key: at.key, seconds: r.seconds, measures: r.measures });
    return this.#finish(inst.name, "ran", t1, undefined, r.log);
  }

  /**
   * Brings back the large outs its deps name that were left missing (a stage that reads only
   * committed files, such as figures and reports, skips the large files inside folders that
   * are there); returns why it could not.
   */
  async #provideNeeds(inst: Instance, at: Keyed): Promise<string | undefined> {
    const needs = [...at.deps.needs].filter((up) =>
      inst.needsLarge !== false || !this.#missingOuts.hasCommittedOuts(up)
    );
    // While it waits for those, it does not hold a worker back from others.
    if (needs.length) this.#children.unready(inst.name);
    for (const up of needs) {
      const why = await this.#missingOuts.provide(up, inst.name);
      if (why) return why;
    }
    return undefined;
  }

  /** A lock entry's record of the ignored files in a run's folder outs (when there are any). */
  async #large(run: RunEntry): Promise<{ ignoredFiles?: Record<string, Digest> }> {
    const files = await ignoredFilesOf(this.#ws.root, run);
    return Object.keys(files).length ? { ignoredFiles: files } : {};
  }
}

/** What a lock entry says of an instance besides its key and outs. */
function described(inst: Instance, at: Keyed) {
  return {
    stage: inst.stage,
    run: inst.run,
    vars: inst.vars,
    params: inst.params,
    deps: at.deps.hashes,
    code: at.code.files,
    packages: at.code.packages,
  };
}

/** The lock entry of an instance whose outs are `run`'s (fresh or restored). */
function lockEntry(inst: Instance, at: Keyed, run: RunEntry): LockEntry {
  return { key: at.key, ...described(inst, at), ...recordedOf(run) };
}

// Same key: only cosmetic fields may need updating (e.g. an entry written by an older runner).
function refreshed(prev: LockEntry, inst: Instance, at: Keyed) {
  return { ...described(inst, at), outs: prev.outs };
}
