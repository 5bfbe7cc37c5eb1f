/**
 * Content hashing: SHA-256 of bytes, files and folders (as a sorted manifest), canonical JSON,
 * and a stat-keyed cache of file hashes so that an unchanged workspace is checked in milliseconds.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { sha256File } from "./file_stream.ts";
import { writeFileAtomic } from "./fs_util.ts";

/** A SHA-256 digest in lowercase hex. */
export type Digest = string;

/**
 * SHA-256 of bytes or a string (UTF-8), as lowercase hex.
 *
 * @example Usage
 * ```ts
 * import { sha256 } from "./hash.ts";
 * if (sha256("") !== "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") {
 *   throw new Error("bad digest");
 * }
 * ```
 */
export function sha256(data: Uint8Array | string): Digest {
  return createHash("sha256").update(data).digest("hex");
}

/**
 * JSON with object keys sorted at every level, so equal values give equal bytes. `indent` as in
 * `JSON.stringify`.
 *
 * @example Usage
 * ```ts
 * import { canonicalJson } from "./hash.ts";
 * if (canonicalJson({ b: 1, a: [2, { d: 3, c: 4 }] }) !== '{"a":[2,{"c":4,"d":3}],"b":1}') {
 *   throw new Error("not canonical");
 * }
 * ```
 */
export function canonicalJson(value: unknown, indent?: number): string {
  return JSON.stringify(sortKeys(value), null, indent);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/** Hash of a folder: the SHA-256 of its sorted manifest, one `hash  relative/path` per line. */
export function manifestDigest(manifest: Readonly<Record<string, Digest>>): Digest {
  const lines = Object.keys(manifest).sort().map((rel) => `${manifest[rel]}  ${rel}\n`);
  return sha256(lines.join(""));
}

/** Lists the files under a folder, recursively, as sorted `/`-separated relative paths. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (abs: string, rel: string) => {
    for (const entry of Deno.readDirSync(abs)) {
      const childAbs = join(abs, entry.name);
      const childRel = rel ? `${rel}/${entry.name}` : entry.name;
      let isDir = entry.isDirectory;
      if (entry.isSymlink) isDir = Deno.statSync(childAbs).isDirectory;
      if (isDir) walk(childAbs, childRel);
      else out.push(childRel);
    }
  };
  walk(dir, "");
  return out.sort();
}

interface StatEntry {
  size: number;
  mtime: number;
  ctime: number;
  ino: number;
  hash: Digest;
}

/**
 * Caches file hashes by (size, mtime, ctime, inode), persisted as one JSON file. A file whose stat
 * is unchanged is not read again.
 */
export class HashCache {
  #path: string | undefined;
  #entries: Map<string, StatEntry>;
  #dirty = false;

  /** Loads the cache from `path` (missing or unreadable: starts empty); no path: memory only. */
  constructor(path?: string) {
    this.#path = path;
    this.#entries = new Map();
    if (path) {
      try {
        const raw = JSON.parse(Deno.readTextFileSync(path)) as Record<string, StatEntry>;
        for (const [k, v] of Object.entries(raw)) this.#entries.set(k, v);
      } catch {
        // A missing or corrupt cache only costs rehashing.
      }
    }
  }

  /** SHA-256 of the file at an absolute path; throws `Deno.errors.NotFound` when missing. */
  hashFile(abs: string): Digest {
    const info = Deno.statSync(abs);
    const stat = statKey(info);
    const known = this.#entries.get(abs);
    if (
      known && known.size === stat.size && known.mtime === stat.mtime &&
      known.ctime === stat.ctime && known.ino === stat.ino
    ) {
      return known.hash;
    }
    const hash = sha256File(abs);
    this.#entries.set(abs, { ...stat, hash });
    this.#dirty = true;
    return hash;
  }

  /** Records a hash already known for a file (e.g. just moved into place). */
  remember(abs: string, hash: Digest): void {
    const stat = statKey(Deno.statSync(abs));
    this.#entries.set(abs, { ...stat, hash });
    this.#dirty = true;
  }

  /**
   * Hash of a file, or of a folder as its manifest digest; `undefined` when the path is missing.
   */
  hashPath(abs: string): Digest | undefined {
    let info: Deno.FileInfo;
    try {
      info = Deno.statSync(abs);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return undefined;
      throw e;
    }
    if (info.isDirectory) return manifestDigest(this.manifest(abs));
    return this.hashFile(abs);
  }

  /** The manifest (relative path → hash) of a folder. */
  manifest(absDir: string): Record<string, Digest> {
    const manifest: Record<string, Digest> = {};
    for (const rel of listFiles(absDir)) manifest[rel] = this.hashFile(join(absDir, rel));
    return manifest;
  }

  /** Writes the cache back when it changed (atomically; a concurrent writer just wins). */
  save(): void {
    if (!this.#path || !this.#dirty) return;
    const obj: Record<string, StatEntry> = {};
    for (const [k, v] of this.#entries) {
      try {
        Deno.statSync(k);
        obj[k] = v;
      } catch {
        // Forget files that are gone.
      }
    }
    writeFileAtomic(this.#path, JSON.stringify(obj));
    this.#dirty = false;
  }
}

function statKey(info: Deno.FileInfo): Omit<StatEntry, "hash"> {
  return {
    size: info.size,
    mtime: info.mtime?.getTime() ?? 0,
    ctime: info.ctime?.getTime() ?? 0,
    ino: info.ino ?? 0,
  };
}
