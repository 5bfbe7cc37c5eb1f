/**
 * The content-addressed cache: `objects/<h[:2]>/<h>` holds file contents by SHA-256,
 * `runs/<k[:2]>/<k>.json` maps an instance key to the outs (and metric values) it produced.
 * A run entry is written only after all its objects, so an entry implies its objects.
 *
 * A cache may be shared with other checkouts and machines, so restoring trusts nothing: a run
 * entry must be well formed ({@linkcode runEntryProblem}: every manifest path relative, inside its
 * out, no `..`, no duplicate), every object is verified by hash while it is copied, and files are
 * created exclusively (an existing file or a planted symlink is never written through). Files are
 * hashed and copied in chunks, so memory stays flat for any size of out.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { type Digest, manifestDigest } from "./hash.ts";
import { copyFileHashed } from "./file_stream.ts";
import { exists, removePath, tempSibling, writeFileAtomic } from "./fs_util.ts";

/** How one out was produced: a file's hash, or a folder's manifest and its hash. */
export interface OutRecord {
  /** File hash, or folder manifest digest. */
  readonly hash: Digest;
  /** For a folder: relative path → file hash. */
  readonly files?: Readonly<Record<string, Digest>>;
}

/** What the cache stores for one key. */
export interface RunEntry {
  /** Out path (workspace-relative, folders end in `/`) → record. */
  readonly outs: Readonly<Record<string, OutRecord>>;
  /** Metrics file → flattened numeric values. */
  readonly metrics: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

/** The default cache folder inside a workspace. */
export const DEFAULT_CACHE_DIR = ".quarry/cache";

/** Where an object lives inside a cache (local or remote): `objects/<h[:2]>/<h>`. */
export function objectRel(hash: Digest): string {
  return `objects/${hash.slice(0, 2)}/${hash}`;
}

/** Where a run record lives inside a cache (local or remote): `runs/<k[:2]>/<k>.json`. */
export function runRel(key: Digest): string {
  return `runs/${key.slice(0, 2)}/${key}.json`;
}

/** Thrown when the cache cannot be written (disk full, read-only, no permission). */
export class CacheWriteError extends Error {
  /** Builds the error naming the cache folder and the system's reason. */
  constructor(dir: string, cause: unknown) {
    super(`Cannot write to the cache "${dir}": ${(cause as Error)?.message ?? String(cause)}`);
    this.name = "CacheWriteError";
  }
}

const DIGEST = /^[0-9a-f]{64}$/;

/**
 * Why a path inside a folder out cannot be restored, or `undefined` when it is safe: it must be
 * relative, `/`-separated, with no empty, `.` or `..` segment, no backslash and no control
 * character (a newline would forge lines of the manifest digest).
 *
 * @example Usage
 * ```ts
 * import { manifestPathProblem } from "./cache.ts";
 * if (manifestPathProblem("a/b.txt") !== undefined) throw new Error("a/b.txt is fine");
 * if (manifestPathProblem("../../tmp/pwned") === undefined) throw new Error("must refuse ..");
 * ```
 */
export function manifestPathProblem(rel: unknown): string | undefined {
  if (typeof rel !== "string" || rel === "") return "an empty path";
  if (rel.length > 4096) return "a path longer than 4096 characters";
  if (rel.startsWith("/")) return "an absolute path";
  if (rel.includes("\\")) return "a backslash";
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x1f\x7f]/.test(rel)) return "a control character";
  for (const seg of rel.split("/")) {
    if (seg === "") return "an empty path segment";
    if (seg === "." || seg === "..") return `a "${seg}" segment`;
  }
  return undefined;
}

function outNameProblem(out: string): string | undefined {
  return manifestPathProblem(out.endsWith("/") ? out.slice(0, -1) : out);
}

/** A file that is also a folder of another entry (`a` and `a/b`): one of them cannot exist. */
function clashingPath(files: readonly string[]): string | undefined {
  const set = new Set(files);
  for (const rel of files) {
    const parts = rel.split("/");
    for (let i = 1; i < parts.length; i++) {
      const prefix = parts.slice(0, i).join("/");
      if (set.has(prefix)) return `"${prefix}" is both a file and a folder`;
    }
  }
  return undefined;
}

function recordProblem(out: string, rec: unknown): string | undefined {
  if (!rec || typeof rec !== "object") return `out "${out}": expected an object`;
  const { hash, files } = rec as { hash?: unknown; files?: unknown };
  if (typeof hash !== "string" || !DIGEST.test(hash)) return `out "${out}": bad hash`;
  if (out.endsWith("/") !== (files !== undefined)) {
    return `out "${out}": a folder out needs a manifest, a file out has none`;
  }
  if (files === undefined) return undefined;
  if (!files || typeof files !== "object" || Array.isArray(files)) {
    return `out "${out}": manifest is not an object`;
  }
  const entries = Object.entries(files as Record<string, unknown>);
  for (const [rel, h] of entries) {
    const why = manifestPathProblem(rel);
    if (why) return `out "${out}": manifest entry ${JSON.stringify(rel)} has ${why}`;
    if (typeof h !== "string" || !DIGEST.test(h)) {
      return `out "${out}": manifest entry ${JSON.stringify(rel)} has a bad hash`;
    }
  }
  const clash = clashingPath(entries.map(([rel]) => rel));
  if (clash) return `out "${out}": ${clash}`;
  if (manifestDigest(files as Record<string, Digest>) !== hash) {
    return `out "${out}": manifest does not match its hash`;
  }
  return undefined;
}

/**
 * Why a parsed run entry cannot be trusted, or `undefined` when it is well formed (shape, out
 * names, manifest paths, digests, manifest hashes, numeric metrics).
 */
export function runEntryProblem(entry: unknown): string | undefined {
  if (!entry || typeof entry !== "object") return "expected an object";
  const { outs, metrics } = entry as { outs?: unknown; metrics?: unknown };
  if (!outs || typeof outs !== "object" || Array.isArray(outs)) return `"outs" is not an object`;
  for (const [out, rec] of Object.entries(outs)) {
    const why = outNameProblem(out);
    if (why) return `out name ${JSON.stringify(out)} has ${why}`;
    const bad = recordProblem(out, rec);
    if (bad) return bad;
  }
  if (!metrics || typeof metrics !== "object" || Array.isArray(metrics)) {
    return `"metrics" is not an object`;
  }
  for (const [file, values] of Object.entries(metrics)) {
    if (!values || typeof values !== "object") return `metrics of "${file}" are not an object`;
    for (const v of Object.values(values)) {
      if (typeof v !== "number" || !Number.isFinite(v)) return `metrics of "${file}" not numbers`;
    }
  }
  return undefined;
}

/** What a lookup found: a trusted entry, or a refused one and why. */
export type RunLookup = { readonly entry: RunEntry } | { readonly problem: string };

/** A content-addressed cache rooted at a folder. */
export class Cache {
  /** Root folder (absolute). */
  readonly dir: string;

  /** Opens (lazily creates) a cache at `dir`. */
  constructor(dir: string) {
    this.dir = dir;
  }

  #objectPath(hash: Digest): string {
    if (!DIGEST.test(hash)) throw new TypeError(`Invalid object hash ${JSON.stringify(hash)}`);
    return join(this.dir, objectRel(hash));
  }

  #runPath(key: Digest): string {
    if (!DIGEST.test(key)) throw new TypeError(`Invalid run key ${JSON.stringify(key)}`);
    return join(this.dir, runRel(key));
  }

  /** The run entry for a key: missing (`undefined`), trusted, or refused with the reason. */
  lookup(key: Digest): RunLookup | undefined {
    let text: string;
    try {
      text = Deno.readTextFileSync(this.#runPath(key));
    } catch {
      return undefined;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (e) {
      return { problem: `not JSON (${(e as Error).message})` };
    }
    const problem = runEntryProblem(raw);
    return problem ? { problem } : { entry: raw as RunEntry };
  }

  /** The trusted run entry for a key, or `undefined` (missing or refused). */
  getRun(key: Digest): RunEntry | undefined {
    const found = this.lookup(key);
    return found && "entry" in found ? found.entry : undefined;
  }

  /** The path of a key's run entry (for messages). */
  runPath(key: Digest): string {
    return this.#runPath(key);
  }

  /** Deletes a key's run entry (a refused or unrestorable one); its objects stay. */
  dropRun(key: Digest): void {
    try {
      removePath(this.#runPath(key));
    } catch {
      // a read-only shared cache: the entry stays refused on every lookup
    }
  }

  /**
   * Stores the outs found under `root` (each at `root/<out path>`) with the hashes in `entry`,
   * then the run entry. Objects already present are kept. Throws {@linkcode CacheWriteError} when the cache cannot be written; no
   * partial object or entry is left behind.
   */
  store(key: Digest, entry: RunEntry, root: string): void {
    const problem = runEntryProblem(entry);
    if (problem) throw new TypeError(`Refusing to cache an invalid run entry: ${problem}`);
    try {
      for (const [out, rec] of Object.entries(entry.outs)) {
        if (rec.files) {
          for (const [rel, h] of Object.entries(rec.files)) {
            this.#putObject(join(root, out, rel), h);
          }
        } else {
          this.#putObject(join(root, out), rec.hash);
        }
      }
      writeFileAtomic(this.#runPath(key), JSON.stringify(entry));
    } catch (e) {
      if (e instanceof TypeError) throw e;
      throw new CacheWriteError(this.dir, e);
    }
  }

  #putObject(src: string, hash: Digest): void {
    const dest = this.#objectPath(hash);
    if (exists(dest)) return;
    Deno.mkdirSync(dirname(dest), { recursive: true });
    const tmp = tempSibling(dest);
    try {
      // The source was hashed after its child exited, in our own temp folder: a kernel copy
      // suffices (restoring is where every object is verified).
      Deno.copyFileSync(src, tmp);
      Deno.renameSync(tmp, dest);
    } catch (e) {
      removePath(tmp);
      throw e;
    }
  }

  /**
   * Writes the outs of `entry` under `root` (each at `root/<out path>`; `root` should be a fresh
   * folder), verifying every object. Returns the problem when the entry is not trustworthy or an
   * object is missing or corrupt (the bad object is deleted), else `undefined`; throws on an I/O
   * error writing under `root`.
   */
  materialize(entry: RunEntry, root: string): string | undefined {
    const bad = runEntryProblem(entry);
    if (bad) return bad;
    for (const [out, rec] of Object.entries(entry.outs)) {
      const dest = join(root, out);
      if (rec.files) {
        Deno.mkdirSync(dest, { recursive: true });
        for (const [rel, h] of Object.entries(rec.files)) {
          const problem = this.#copyVerified(h, join(dest, rel));
          if (problem) return `${problem} (${out}${rel})`;
        }
      } else {
        Deno.mkdirSync(dirname(dest), { recursive: true });
        const problem = this.#copyVerified(rec.hash, dest);
        if (problem) return `${problem} (${out})`;
      }
    }
    return undefined;
  }

  #copyVerified(hash: Digest, dest: string): string | undefined {
    const obj = this.#objectPath(hash);
    if (!exists(obj)) return `missing cache object ${hash.slice(0, 12)}`;
    Deno.mkdirSync(dirname(dest), { recursive: true });
    // An I/O error here (e.g. the workspace's disk is full) says nothing about the entry: throw.
    const got = copyFileHashed(obj, dest);
    if (got !== hash) {
      removePath(dest);
      removePath(obj);
      return `corrupt cache object ${hash.slice(0, 12)}`;
    }
    return undefined;
  }
}
