/**
 * `pipeline.lock`: the committed record of every instance run, per profile.
 *
 * Format (JSON, keys sorted at every level, 2-space indent, trailing newline, so the same state
 * always gives the same bytes):
 *
 * ```json
 * {
 *   "profiles": {
 *     "<profile>": {
 *       "<instance name>": {
 *         "code": { "<workspace-relative module path>": "<sha256>" },
 *         "deps": { "<dep path>": "<sha256; folder: sha256 of its manifest>" },
 *         "ignoredFiles": { "<file inside a folder out that git ignores>": "<sha256>" },
 *         "key": "<sha256: the instance key>",
 *         "metrics": { "<metrics file>": { "<dotted.number.path>": 0.97 } },
 *         "outs": { "<out path; folders end in />": "<sha256; folder: manifest hash>" },
 *         "packages": ["npm:<name>@<version>"],
 *         "params": { "<dotted key>": "<value>" },
 *         "run": "<run module>",
 *         "stage": "<stage name>",
 *         "vars": { "<matrix key>": "<value>" }
 *       }
 *     }
 *   },
 *   "version": 1
 * }
 * ```
 *
 * A folder's manifest hash is the SHA-256 of lines `<sha256>  <relative path>\n` sorted by path.
 *
 * @module
 */
import type { ParamValue } from "./stage_context.ts";
import { canonicalJson, type Digest } from "./hash.ts";
import { writeFileAtomic } from "./fs_util.ts";

/** The current lock format version. */
export const LOCK_VERSION = 1;

/** What the lock records for one instance of one profile. */
export interface LockEntry {
  /** The instance key (SHA-256 of its definition, params, dep hashes and code). */
  readonly key: Digest;
  /** Stage name. */
  readonly stage: string;
  /** Run module (workspace-relative). */
  readonly run: string;
  /** Matrix values. */
  readonly vars: Readonly<Record<string, ParamValue>>;
  /** Declared params (dotted key → value). */
  readonly params: Readonly<Record<string, ParamValue>>;
  /** Dep path → content hash. */
  readonly deps: Readonly<Record<string, Digest>>;
  /** Local code files of the run module's import closure → content hash. */
  readonly code: Readonly<Record<string, Digest>>;
  /** npm packages (`npm:name@version`) and remote modules reached by the run module. */
  readonly packages: readonly string[];
  /** Out path → content hash. */
  readonly outs: Readonly<Record<string, Digest>>;
  /** Metrics file → flattened numeric values (dotted path → number). */
  readonly metrics: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /**
   * Files inside folder outs that git ignores (workspace path → hash): large files that may stay
   * missing (`missing_outs.ts`). Absent in entries written before this field existed.
   */
  readonly ignoredFiles?: Readonly<Record<string, Digest>>;
}

/** The whole lock file. */
export interface LockFile {
  /** Format version ({@linkcode LOCK_VERSION}). */
  readonly version: number;
  /** Profile name → instance name → entry. */
  readonly profiles: Readonly<Record<string, Readonly<Record<string, LockEntry>>>>;
}

/** An empty lock. */
export function emptyLock(): LockFile {
  return { version: LOCK_VERSION, profiles: {} };
}

/**
 * Reads a lock file; a missing file gives an empty lock. Throws {@linkcode LockFileError} naming
 * the file, what is wrong (empty, truncated, conflict markers, version) and what to do.
 *
 * @example Usage
 * ```ts ignore
 * import { readLockFile } from "./lock_file.ts";
 * const lock = readLockFile("pipeline.lock");
 * console.log(Object.keys(lock.profiles));
 * ```
 */
export function readLockFile(path: string): LockFile {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return emptyLock();
    throw e;
  }
  return parseLockFile(text, path);
}

/** Thrown for a lock file that cannot be read as a lock (the CLI exits 2 on it). */
export class LockFileError extends SyntaxError {
  /** The file (or `REV:path`) at fault. */
  readonly source: string;
  /** Builds the error: what is wrong with `source`, and what to do. */
  constructor(source: string, problem: string) {
    super(
      `Invalid lock file "${source}": ${problem}. Restore it from git, or delete it: the next ` +
        `repro rebuilds it (from the cache where it can)`,
    );
    this.name = "LockFileError";
    this.source = source;
  }
}

/** Parses lock text (e.g. from `git show REV:pipeline.lock`); `source` names it in errors. */
export function parseLockFile(text: string, source = "pipeline.lock"): LockFile {
  if (text.trim() === "") throw new LockFileError(source, "the file is empty");
  if (/^(<{7}|={7}|>{7})( |$)/m.test(text)) {
    throw new LockFileError(
      source,
      "it holds git merge conflict markers (resolve the conflict, e.g. take one side with " +
        "git checkout --ours or --theirs, then repro)",
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new LockFileError(source, `not valid JSON, truncated? (${(e as Error).message})`);
  }
  const obj = raw as Partial<LockFile> | null;
  if (
    !obj || typeof obj !== "object" || typeof obj.profiles !== "object" || obj.profiles === null
  ) {
    throw new LockFileError(source, `expected an object with "profiles"`);
  }
  if (obj.version !== LOCK_VERSION) {
    throw new LockFileError(source, `expected version ${LOCK_VERSION}, got ${obj.version}`);
  }
  return obj as LockFile;
}

/** The deterministic text of a lock. */
export function serializeLockFile(lock: LockFile): string {
  return `${canonicalJson(lock, 2)}\n`;
}

/** Writes a lock atomically, only when its bytes change. Returns whether it wrote. */
export function writeLockFile(path: string, lock: LockFile): boolean {
  const text = serializeLockFile(lock);
  try {
    if (Deno.readTextFileSync(path) === text) return false;
  } catch {
    // missing: write it
  }
  writeFileAtomic(path, text);
  return true;
}
