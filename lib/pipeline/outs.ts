/**
 * A run's outs on disk: collecting (hashing and checking) what a child wrote into its folder, and
 * moving outs into the workspace.
 *
 * @module
 */
import { dirname, join, resolve } from "node:path";
import { manifestPathProblem, type OutRecord, type RunEntry } from "./cache.ts";
import { sha256File } from "./file_stream.ts";
import type { Instance } from "./graph.ts";
import { type Digest, manifestDigest } from "./hash.ts";
import { removePath } from "./fs_util.ts";
import type { RecordedOuts } from "./replication.ts";
import type { Workspace } from "./workspace.ts";

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

/** A run's outs as `differingOuts` compares them. */
export function recordedOf(run: RunEntry): RecordedOuts {
  return {
    outs: Object.fromEntries(Object.entries(run.outs).map(([p, r]) => [p, r.hash])),
    metrics: run.metrics,
  };
}

/** Whether a run holds exactly the instance's declared outs. */
export function sameOutSet(run: RunEntry, inst: Instance): boolean {
  const keys = Object.keys(run.outs);
  return keys.length === inst.outs.length && inst.outs.every((o) => Object.hasOwn(run.outs, o));
}

/** Hashes the outs written under `dir`, checks each declared out exists with the right kind. */
export function collectOuts(dir: string, inst: Instance): RunEntry | string {
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
      const listed = listPlainFiles(abs);
      if (typeof listed === "string") return `Out "${o}": ${listed}`;
      for (const rel of listed) files[rel] = sha256File(join(abs, rel));
      outs[o] = { hash: manifestDigest(files), files };
    } else {
      if (info.isDirectory) {
        return `Declared out "${o}" is a file, but the stage wrote a folder (declare it as "${o}/")`;
      }
      if (Deno.lstatSync(abs).isSymlink) return `Out "${o}" is a symlink: outs must be plain files`;
      outs[o] = { hash: sha256File(abs) };
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

/**
 * The files under an out folder, or why it cannot be cached: a symlink, or a name that could not
 * be restored safely (see {@linkcode manifestPathProblem}).
 */
function listPlainFiles(root: string): string[] | string {
  const out: string[] = [];
  const walk = (abs: string, rel: string): string | undefined => {
    for (const e of Deno.readDirSync(abs)) {
      const childRel = rel ? `${rel}/${e.name}` : e.name;
      const why = manifestPathProblem(childRel);
      if (why) return `the stage wrote a file named ${JSON.stringify(childRel)}, which has ${why}`;
      if (e.isSymlink) return `"${childRel}" is a symlink: outs must hold plain files and folders`;
      if (e.isDirectory) {
        const bad = walk(join(abs, e.name), childRel);
        if (bad) return bad;
      } else if (e.isFile) out.push(childRel);
      else return `"${childRel}" is not a plain file`;
    }
    return undefined;
  };
  const bad = walk(root, "");
  return bad ?? out.sort();
}

/** Moves the outs from `dir` into the workspace (replacing old copies) and records their hashes. */
export function placeOuts(ws: Workspace, inst: Instance, dir: string, run: RunEntry): void {
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
