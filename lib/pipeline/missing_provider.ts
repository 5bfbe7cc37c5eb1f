/**
 * Outs that up-to-date instances left missing (git ignores them, e.g. large checkpoints): which
 * instances left what, the dep hashes of their downstream (by the hashes their lock entries
 * record), and providing them, once per producer, when a downstream that must run needs them:
 * from the cache (a remote through `beforeRestore`), else by rerunning the producer, which must
 * give the bytes its lock entry records.
 *
 * @module
 */
import { resolve } from "node:path";
import type { ChildRunner } from "./child_runner.ts";
import type { ReproEvent } from "./execute.ts";
import type { Graph, Instance } from "./graph.ts";
import type { Digest } from "./hash.ts";
import type { LockEntry } from "./lock_file.ts";
import { removePath } from "./fs_util.ts";
import { producersOf, recordedDep } from "./missing_outs.ts";
import { placeOuts, recordedOf } from "./outs.ts";
import { differingOuts } from "./replication.ts";
import { tryRestore } from "./restore.ts";
import type { TimingSample } from "./timing.ts";
import type { Workspace } from "./workspace.ts";

/** What a {@linkcode MissingOutProvider} works with: the executor's shared state. */
export interface MissingOutContext {
  readonly graph: Graph;
  readonly ws: Workspace;
  /** The lock entries being written (read: the producers' recorded hashes). */
  readonly entries: Readonly<Record<string, LockEntry>>;
  /** This run's temp folder. */
  readonly runDir: string;
  readonly children: ChildRunner;
  readonly emit: (event: ReproEvent) => void;
  /** Check mode: a rerun that differs from the lock goes into `mismatched`. */
  readonly check: boolean;
  readonly mismatched: Set<string>;
  /** The outs git ignores (`ignoredOutsOf`). */
  readonly ignored: ReadonlySet<string>;
  /** Timing samples of this run (a rerun adds its own). */
  readonly samples: Map<string, TimingSample>;
  readonly beforeRestore?: (
    name: string,
    key: Digest,
    onWait?: () => void,
  ) => Promise<string | undefined>;
  readonly afterStore?: (name: string, key: Digest) => Promise<void>;
}

/** An instance's dep hashes, the deps not found, and the producers whose missing outs it needs. */
export interface DepHashes {
  readonly hashes: Record<string, Digest>;
  readonly missing: string[];
  readonly needs: Set<string>;
}

/** See the module doc. */
export class MissingOutProvider {
  readonly #c: MissingOutContext;
  readonly #byName: ReadonlyMap<string, Instance>;
  readonly #leftMissing = new Map<string, Set<string>>();
  readonly #providing = new Map<string, Promise<string | undefined>>();

  constructor(context: MissingOutContext) {
    this.#c = context;
    this.#byName = new Map(context.graph.instances.map((i) => [i.name, i]));
  }

  /** An up-to-date instance left these outs missing. */
  leftMissing(name: string, paths: Iterable<string>): void {
    this.#leftMissing.set(name, new Set(paths));
  }

  /**
   * Dep hashes of an instance. A dep missing from the workspace because its up-to-date producer
   * left it missing counts by the hash the producer's lock entry records (`needs` names them).
   */
  depsOf(inst: Instance): DepHashes {
    const { ws, entries } = this.#c;
    const hashes: Record<string, Digest> = {};
    const needs = new Set<string>();
    const missing: string[] = [];
    for (const dep of inst.deps) {
      const ups = producersOf(this.#byName, inst, dep).filter((u) => this.#leftMissing.has(u.name));
      const recorded = ups.length
        ? recordedDep(
          ws.hashes,
          ws.root,
          dep,
          ups.map((u) => ({ entry: entries[u.name]!, run: ws.cache.getRun(entries[u.name]!.key) })),
        )
        : undefined;
      const h = recorded ?? ws.hashes.hashPath(resolve(ws.root, dep));
      if (h === undefined) missing.push(dep);
      else hashes[dep] = h;
      if (recorded !== undefined) { for (const u of ups) needs.add(u.name); }
    }
    return { hashes, missing, needs };
  }

  /**
   * Whether `name` has outs that git does not ignore: they are committed, and in place (else it
   * would be stale, not up to date), so what it left missing is only its ignored large files (a
   * run's weights beside its traces and summary). A stage with `needs_large: false` runs without
   * them; a producer whose every out git ignores (smoke's) it still needs.
   */
  hasCommittedOuts(name: string): boolean {
    return (this.#byName.get(name)?.outs ?? []).some((o) => !this.#c.ignored.has(o));
  }

  /** Provides the outs `name` left missing, once (later callers share the first attempt). */
  provide(name: string, forWhom: string): Promise<string | undefined> {
    let p = this.#providing.get(name);
    if (!p) {
      p = this.#provideOuts(this.#byName.get(name)!, forWhom);
      this.#providing.set(name, p);
    }
    return p;
  }

  /** Brings back the outs an up-to-date instance left missing; returns why it could not. */
  async #provideOuts(inst: Instance, forWhom: string): Promise<string | undefined> {
    const { ws, entries, runDir, emit } = this.#c;
    const entry = entries[inst.name]!;
    const outs = [...this.#leftMissing.get(inst.name)!].map((o) => `"${o}"`).join(", ");
    const warn = (message: string) => emit({ type: "warning", name: inst.name, message });
    try {
      // A problem (a shard's wait that ran out) is said, then the rerun below provides the outs.
      const problem = await this.#c.beforeRestore?.(inst.name, entry.key);
      if (problem) warn(problem);
    } catch {
      // no remote copy: rerun below
    }
    const restored = tryRestore(ws, inst, entry.key, runDir, warn);
    if (restored) {
      const diff = differingOuts(entry, recordedOf(restored));
      if (diff.length) {
        return `the cache entry of ${inst.name} differs from pipeline.lock in ${diff.join(", ")}`;
      }
      this.#leftMissing.delete(inst.name);
      warn(`restored missing out(s) ${outs} from the cache for ${forWhom}`);
      return undefined;
    }
    const deps = this.depsOf(inst);
    if (deps.missing.length) {
      return `cannot rerun ${inst.name} to provide ${outs}: its dep "${
        deps.missing[0]
      }" is missing`;
    }
    for (const up of deps.needs) {
      const why = await this.provide(up, inst.name);
      if (why) return why;
    }
    warn(`out(s) ${outs} missing and not in the cache: rerunning it for ${forWhom}`);
    const r = await this.#c.children.run(inst, { rankOf: forWhom });
    if ("error" in r) return `rerunning ${inst.name} to provide ${outs} failed: ${r.error}`;
    const diff = differingOuts(entry, recordedOf(r.collected));
    if (diff.length) {
      removePath(r.dir);
      if (this.#c.check) this.#c.mismatched.add(inst.name);
      return `rerunning ${inst.name} to provide ${outs} gave outs that differ from pipeline.lock ` +
        `(${diff.join(", ")}): it does not reproduce its recorded bytes; nothing was placed`;
    }
    try {
      ws.cache.store(entry.key, r.collected, r.dir);
      await this.#c.afterStore?.(inst.name, entry.key);
    } catch (e) {
      warn(`could not cache the rerun: ${(e as Error).message}`);
    }
    placeOuts(ws, inst, r.dir, r.collected);
    removePath(r.dir);
    this.#c.samples.set(inst.name, { key: entry.key, seconds: r.seconds, measures: r.measures });
    this.#leftMissing.delete(inst.name);
    warn(`reran in ${r.seconds.toFixed(2)} s: outs byte-identical to pipeline.lock`);
    return undefined;
  }
}
