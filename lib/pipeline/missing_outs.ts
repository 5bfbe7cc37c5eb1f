/**
 * Large outs that may stay missing (DVC's `repro --allow-missing`, here the default): an out that
 * git ignores (weights, checkpoints, tensors: `.gitignore` patterns such as `*.weights` or
 * `data/`) is not committed, so a fresh clone lacks it. An instance whose lock entry matches on
 * everything but such a missing out is up to date; a downstream that must run and needs the out
 * gets it restored from the cache or rerun by its producer (`execute.ts`).
 *
 * The rule is git's own (`git check-ignore`): a tracked file is never "ignored", and outside a
 * git repository no out may be missing.
 *
 * @module
 */
import { resolve } from "node:path";
import { type Graph, type Instance, pathsOverlap, stripSlash } from "./graph.ts";
import { type Digest, type HashCache, manifestDigest } from "./hash.ts";
import type { LockEntry } from "./lock_file.ts";
import type { RunEntry } from "./cache.ts";

/** The given workspace-relative paths that git ignores in `root` (empty outside a repository). */
export async function gitIgnored(root: string, paths: readonly string[]): Promise<Set<string>> {
  if (!paths.length) return new Set();
  let child;
  try {
    child = new Deno.Command("git", {
      args: ["-C", root, "check-ignore", "--stdin"],
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
    }).spawn();
  } catch {
    return new Set(); // no git: nothing counts as ignored
  }
  const writer = child.stdin.getWriter();
  try {
    await writer.write(new TextEncoder().encode(paths.join("\n") + "\n"));
    await writer.close();
  } catch {
    // git exits early outside a repository: its answer below says so
  }
  const { code, stdout } = await child.output();
  // 0: some ignored, 1: none, 128: not a repository (or another error): none.
  if (code !== 0) return new Set();
  return new Set(new TextDecoder().decode(stdout).split("\n").filter((l) => l));
}

/** The outs of every instance of a graph that git ignores. */
export function ignoredOutsOf(graph: Graph, root: string): Promise<Set<string>> {
  const outs = [...new Set(graph.instances.flatMap((i) => i.outs))];
  return gitIgnored(root, outs);
}

/**
 * The producers of a dep among an instance's upstream: the instances whose outs overlap it.
 * `byName` is the graph's instances by name (built once by the caller, not per dep).
 */
export function producersOf(
  byName: ReadonlyMap<string, Instance>,
  inst: Instance,
  dep: string,
): Instance[] {
  return inst.upstream.map((u) => byName.get(u)).filter((up): up is Instance =>
    up !== undefined && up.outs.some((o) => pathsOverlap(o, dep))
  );
}

/**
 * The files inside a run's folder outs that git ignores, workspace path → hash: what the lock
 * records so that a folder out (or a folder dep) whose large files are missing can still be
 * checked and hashed (`checkpoints/` holds committed `index.json` and ignored weights).
 */
export async function ignoredFilesOf(root: string, run: RunEntry): Promise<Record<string, Digest>> {
  const all: Record<string, Digest> = {};
  for (const [o, rec] of Object.entries(run.outs)) {
    for (const [rel, h] of Object.entries(rec.files ?? {})) all[`${o}${rel}`] = h;
  }
  const ignored = await gitIgnored(root, Object.keys(all));
  return Object.fromEntries(
    Object.keys(all).sort().filter((p) => ignored.has(p)).map((p) => [p, all[p]!]),
  );
}

/**
 * The hash a folder would have with the recorded ignored files that are missing from it put
 * back; `undefined` when none is missing (the folder is as it is).
 */
export function completedFolderHash(
  hashes: HashCache,
  root: string,
  folder: string,
  recorded: readonly (Readonly<Record<string, Digest>> | undefined)[],
): Digest | undefined {
  if (!folder.endsWith("/")) return undefined;
  const abs = resolve(root, folder);
  let present: Record<string, Digest> = {};
  try {
    if (Deno.statSync(abs).isDirectory) present = hashes.manifest(abs);
  } catch {
    // missing as a whole: only recorded files
  }
  let added = 0;
  for (const files of recorded) {
    for (const [p, h] of Object.entries(files ?? {})) {
      if (!p.startsWith(folder)) continue;
      const rel = p.slice(folder.length);
      if (!Object.hasOwn(present, rel)) {
        present[rel] = h;
        added++;
      }
    }
  }
  return added ? manifestDigest(present) : undefined;
}

/**
 * The hash a dep had when its producer last ran, from the producer's lock entry (the out itself)
 * or its cache entry (a file inside a folder out); `undefined` when neither records it.
 */
export function recordedDepHash(
  entry: LockEntry,
  run: RunEntry | undefined,
  dep: string,
): Digest | undefined {
  const exact = entry.outs[dep] ?? entry.outs[`${stripSlash(dep)}/`];
  if (exact !== undefined) return exact;
  if (!run) return undefined;
  for (const [o, rec] of Object.entries(run.outs)) {
    if (rec.files && o.endsWith("/") && dep.startsWith(o)) {
      return rec.files[stripSlash(dep.slice(o.length))];
    }
  }
  return undefined;
}

/**
 * Splits changed outs into those that may stay missing and the rest: an out git ignores that is
 * missing, or a folder out that matches its lock hash once the ignored files the lock records
 * are put back.
 */
export function splitChanges<T extends { path: string; why: "missing" | "modified" }>(
  changes: readonly T[],
  ignored: ReadonlySet<string>,
  complete?: { hashes: HashCache; root: string; entry: LockEntry },
): { restorable: T[]; stale: T[] } {
  const restorable = changes.filter((c) => {
    if (c.why === "missing" && ignored.has(c.path)) return true;
    if (!complete?.entry.ignoredFiles) return false;
    const h = completedFolderHash(complete.hashes, complete.root, c.path, [
      complete.entry.ignoredFiles,
    ]);
    return h !== undefined && h === complete.entry.outs[c.path];
  });
  const stale = changes.filter((c) => !restorable.includes(c));
  return { restorable, stale };
}

/**
 * The hash of a dep whose up-to-date producers left large outs missing, as it was when they ran:
 * a missing out by its lock hash, a file inside a folder out by the recorded ignored files or
 * the cache entry, a folder by its present files plus the recorded missing ones. `undefined`:
 * nothing recorded stands in (hash the workspace).
 */
export function recordedDep(
  hashes: HashCache,
  root: string,
  dep: string,
  producers: readonly { entry: LockEntry; run?: RunEntry | undefined }[],
): Digest | undefined {
  let present: Digest | undefined;
  try {
    Deno.statSync(resolve(root, dep));
    present = "present";
  } catch {
    present = undefined;
  }
  if (present === undefined) {
    for (const p of producers) {
      const h = p.entry.ignoredFiles?.[dep] ?? recordedDepHash(p.entry, p.run, dep);
      if (h !== undefined) return h;
    }
  }
  // What each producer wrote, as far as its entry records files: its file outs and ignored files.
  const files = producers.map((p) => ({
    ...Object.fromEntries(Object.entries(p.entry.outs).filter(([o]) => !o.endsWith("/"))),
    ...(p.entry.ignoredFiles ?? {}),
  }));
  return completedFolderHash(hashes, root, dep, files);
}
