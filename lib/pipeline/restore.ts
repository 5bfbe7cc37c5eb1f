/**
 * Restoring an instance's outs from the cache.
 *
 * @module
 */
import { join } from "node:path";
import type { RunEntry } from "./cache.ts";
import type { Instance } from "./graph.ts";
import type { Digest } from "./hash.ts";
import { removePath, safeName } from "./fs_util.ts";
import { placeOuts, sameOutSet } from "./outs.ts";
import type { Workspace } from "./workspace.ts";

/**
 * Restores an instance's outs from the cache when a trustworthy, complete entry exists; a refused
 * or unrestorable entry is reported, dropped, and the instance reruns.
 */
export function tryRestore(
  ws: Workspace,
  inst: Instance,
  key: Digest,
  runDir: string,
  warn: (message: string) => void,
): RunEntry | undefined {
  const found = ws.cache.lookup(key);
  if (!found) return undefined;
  const refuse = (why: string) => {
    warn(`refused cache entry "${ws.cache.runPath(key)}": ${why}; dropped, rerunning`);
    ws.cache.dropRun(key);
    return undefined;
  };
  if ("problem" in found) return refuse(found.problem);
  const cached = found.entry;
  if (!sameOutSet(cached, inst)) return refuse("its outs are not the instance's declared outs");
  const restoreDir = join(runDir, `${safeName(inst.name)}.restore`);
  removePath(restoreDir);
  let problem: string | undefined;
  try {
    problem = ws.cache.materialize(cached, restoreDir);
    if (!problem) placeOuts(ws, inst, restoreDir, cached);
  } catch (e) {
    // Not the entry's fault (e.g. the workspace's disk is full): keep it, run instead.
    warn(`could not restore from the cache: ${(e as Error).message}; rerunning`);
    return undefined;
  } finally {
    removePath(restoreDir);
  }
  return problem ? refuse(problem) : cached;
}
