/**
 * The content-addressed cache: `objects/<h[:2]>/<h>` holds file contents by SHA-256,
 * `runs/<k[:2]>/<k>.json` maps an instance key to the outs (and metric values) it produced.
 * A run entry is written only after all its objects, so an entry implies its objects; restoring
 * verifies every object's hash.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { type Digest, manifestDigest, sha256 } from "./hash.ts";
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

/** A content-addressed cache rooted at a folder. */
export class Cache {
  /** Root folder (absolute). */
  readonly dir: string;

  /** Opens (lazily creates) a cache at `dir`. */
  constructor(dir: string) {
    this.dir = dir;
  }

  #objectPath(hash: Digest): string {
    return join(this.dir, "objects", hash.slice(0, 2), hash);
  }

  #runPath(key: Digest): string {
    return join(this.dir, "runs", key.slice(0, 2), `${key}.json`);
  }

  /** The run entry for a key, or `undefined`. */
  getRun(key: Digest): RunEntry | undefined {
    try {
      return JSON.parse(Deno.readTextFileSync(this.#runPath(key))) as RunEntry;
    } catch {
      return undefined;
    }
  }

  /**
   * Stores the outs found under `root` (each at `root/<out path>`) with the hashes in `entry`,
   * then the run entry. Objects already present are kept.
   */
  store(key: Digest, entry: RunEntry, root: string): void {
    for (const [out, rec] of Object.entries(entry.outs)) {
      if (rec.files) {
        for (const [rel, h] of Object.entries(rec.files)) this.#putObject(join(root, out, rel), h);
      } else {
        this.#putObject(join(root, out), rec.hash);
      }
    }
    writeFileAtomic(this.#runPath(key), JSON.stringify(entry));
  }

  #putObject(src: string, hash: Digest): void {
    const dest = this.#objectPath(hash);
    if (exists(dest)) return;
    Deno.mkdirSync(dirname(dest), { recursive: true });
    const tmp = tempSibling(dest);
    Deno.copyFileSync(src, tmp);
    Deno.renameSync(tmp, dest);
  }

  /**
   * Writes the outs of `entry` under `root` (each at `root/<out path>`), verifying every object.
   * Returns the problem when an object is missing or corrupt (the bad object is deleted), else
   * `undefined`.
   */
  materialize(entry: RunEntry, root: string): string | undefined {
    for (const [out, rec] of Object.entries(entry.outs)) {
      const dest = join(root, out);
      if (rec.files) {
        if (manifestDigest(rec.files) !== rec.hash) return `corrupt run entry for "${out}"`;
        Deno.mkdirSync(dest, { recursive: true });
        for (const [rel, h] of Object.entries(rec.files)) {
          const problem = this.#copyVerified(h, join(dest, rel));
          if (problem) return `${problem} (${out}${rel})`;
        }
      } else {
        const problem = this.#copyVerified(rec.hash, dest);
        if (problem) return `${problem} (${out})`;
      }
    }
    return undefined;
  }

  #copyVerified(hash: Digest, dest: string): string | undefined {
    const obj = this.#objectPath(hash);
    let bytes: Uint8Array;
    try {
      bytes = Deno.readFileSync(obj);
    } catch {
      return `missing cache object ${hash.slice(0, 12)}`;
    }
    if (sha256(bytes) !== hash) {
      removePath(obj);
      return `corrupt cache object ${hash.slice(0, 12)}`;
    }
    Deno.mkdirSync(dirname(dest), { recursive: true });
    Deno.writeFileSync(dest, bytes);
    return undefined;
  }
}
