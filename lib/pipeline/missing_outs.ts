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
import { type Graph, type Instance, pathsOverlap, stripSlash } from "./graph.ts";
import type { Digest } from "./hash.ts";
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

/** The producer of a dep among an instance's upstream: the instance whose out holds it. */
export function producerOf(
  graph: Graph,
  inst: Instance,
  dep: string,
): Instance | undefined {
  const byName = new Map(graph.instances.map((i) => [i.name, i]));
  for (const u of inst.upstream) {
    const up = byName.get(u);
    if (up?.outs.some((o) => pathsOverlap(o, dep))) return up;
  }
  return undefined;
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

/** Splits changed outs into those that may stay missing (git ignores them) and the rest. */
export function splitChanges<T extends { path: string; why: "missing" | "modified" }>(
  changes: readonly T[],
  ignored: ReadonlySet<string>,
): { restorable: T[]; stale: T[] } {
  const restorable = changes.filter((c) => c.why === "missing" && ignored.has(c.path));
  const stale = changes.filter((c) => !restorable.includes(c));
  return { restorable, stale };
}
