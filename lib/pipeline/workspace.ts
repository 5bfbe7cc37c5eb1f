/**
 * Per-workspace state shared by the commands: where the lock, cache, temp folders and stat
 * caches live, and the hashers that use them.
 *
 * @module
 */
import { dirname, join, resolve } from "node:path";
import type { ValidationMemo } from "./analyze.ts";
import { writeFileAtomic } from "./fs_util.ts";
import { Cache, DEFAULT_CACHE_DIR } from "./cache.ts";
import { CodeHasher } from "./code_hash.ts";
import type { Graph, Instance } from "./graph.ts";
import { type Digest, HashCache } from "./hash.ts";
import type { LockEntry } from "./lock_file.ts";

/** Paths and hashers of one workspace. */
export interface Workspace {
  /** Absolute workspace folder. */
  readonly root: string;
  /** `pipeline.lock` beside the pipeline file. */
  readonly lockPath: string;
  /** `.quarry/` inside the workspace. */
  readonly stateDir: string;
  /** Where instance temp folders go (same file system as the workspace: outs move by rename). */
  readonly tmpDir: string;
  /** The cache. */
  readonly cache: Cache;
  /** Stat-keyed file hash cache. */
  readonly hashes: HashCache;
  /** Code identity of run modules. */
  readonly code: CodeHasher;
  /** Validations that passed (to skip importing unchanged stage modules). */
  readonly validated: ValidationMemoFile;
}

/** Options for {@linkcode openWorkspace}. */
export interface WorkspaceOptions {
  /** Cache folder; default `QUARRY_CACHE`, else `.quarry/cache` in the workspace. */
  readonly cacheDir?: string;
}

/** Opens the workspace of a graph. */
export function openWorkspace(graph: Graph, options: WorkspaceOptions = {}): Workspace {
  return openWorkspaceAt(graph.file, options);
}

/** Opens the workspace of a pipeline file (its folder), before or without analysis. */
export function openWorkspaceAt(pipelineFile: string, options: WorkspaceOptions = {}): Workspace {
  const file = resolve(pipelineFile);
  const root = dirname(file);
  const stateDir = join(root, ".quarry");
  const cacheDir = options.cacheDir ?? Deno.env.get("QUARRY_CACHE") ??
    join(root, DEFAULT_CACHE_DIR);
  const hashes = new HashCache(join(stateDir, "state", "hashes.json"));
  const code = new CodeHasher({
    workspace: root,
    hashes,
    statePath: join(stateDir, "state", "code.json"),
  });
  return {
    root,
    lockPath: file.replace(/\.ya?ml$/, "") + ".lock",
    stateDir,
    tmpDir: join(stateDir, "tmp"),
    cache: new Cache(resolve(cacheDir)),
    hashes,
    code,
    validated: new ValidationMemoFile(join(stateDir, "state", "validated.json"), code),
  };
}

/** Passed validations, kept in `.quarry/state/validated.json` (the most recent 500). */
export class ValidationMemoFile implements ValidationMemo {
  #path: string;
  #code: CodeHasher;
  #keys: string[];
  #dirty = false;

  /** Loads the memo (missing or corrupt: empty). */
  constructor(path: string, code: CodeHasher) {
    this.#path = path;
    this.#code = code;
    try {
      this.#keys = JSON.parse(Deno.readTextFileSync(path));
      if (!Array.isArray(this.#keys)) this.#keys = [];
    } catch {
      this.#keys = [];
    }
  }

  /** The code hash of a module's import closure. */
  async codeDigest(moduleAbs: string): Promise<string | undefined> {
    return (await this.#code.info(moduleAbs)).hash;
  }

  /** Whether a key passed before. */
  has(key: string): boolean {
    return this.#keys.includes(key);
  }

  /** Records a passed key. */
  add(key: string): void {
    if (this.has(key)) return;
    this.#keys.push(key);
    if (this.#keys.length > 500) this.#keys = this.#keys.slice(-500);
    this.#dirty = true;
  }

  /** Writes the memo when it changed. */
  save(): void {
    if (this.#dirty) writeFileAtomic(this.#path, JSON.stringify(this.#keys));
    this.#dirty = false;
  }
}

/** Saves the stat caches. */
export function saveWorkspaceState(ws: Workspace): void {
  ws.hashes.save();
  ws.code.save();
  ws.validated.save();
}

/** Hashes of an instance's deps in the workspace; `missing` lists deps not found. */
export function hashDeps(
  ws: Workspace,
  inst: Instance,
): { hashes: Record<string, Digest>; missing: string[] } {
  const hashes: Record<string, Digest> = {};
  const missing: string[] = [];
  for (const dep of inst.deps) {
    const h = ws.hashes.hashPath(resolve(ws.root, dep));
    if (h === undefined) missing.push(dep);
    else hashes[dep] = h;
  }
  return { hashes, missing };
}

/** Outs of an instance whose workspace copy differs from the lock entry (missing or modified). */
export function changedOuts(
  ws: Workspace,
  inst: Instance,
  entry: LockEntry,
): { path: string; why: "missing" | "modified" }[] {
  const out: { path: string; why: "missing" | "modified" }[] = [];
  for (const o of inst.outs) {
    const h = ws.hashes.hashPath(resolve(ws.root, o));
    if (h === undefined) out.push({ path: o, why: "missing" });
    else if (entry.outs[o] !== h) out.push({ path: o, why: "modified" });
  }
  return out;
}
