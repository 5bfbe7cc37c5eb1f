/**
 * The access log: one JSON line per request, appended as the answer goes out. It holds the key's
 * id, never the key: `{"time", "key", "method", "path", "status", "asked", "images",
 * "latency_ms"}` (`asked`: images in the request when it could be read, `images`: images
 * answered, so spent).
 *
 * @module
 */

/** One access log line. */
export interface AccessEntry {
  /** ISO 8601 time the request arrived. */
  readonly time: string;
  /** The calling key's id; null when unauthenticated. */
  readonly key: string | null;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  /** Images in the request (0 when it could not be read). */
  readonly asked: number;
  /** Images answered and counted against the budget. */
  readonly images: number;
  /** Milliseconds from arrival to the answer, to 0.01 ms. */
  readonly latency_ms: number;
}

/** Appends access entries to a file, one line each; `null` path: nowhere. */
export class AccessLog {
  #file: Deno.FsFile | null;
  #encoder = new TextEncoder();

  /** Opens (creating or appending to) `path`. */
  constructor(path: string | null) {
    this.#file = path === null
      ? null
      : Deno.openSync(path, { write: true, append: true, create: true });
  }

  /** Appends one line; a single synchronous write, so lines never interleave. */
  write(entry: AccessEntry): void {
    if (this.#file === null) return;
    const bytes = this.#encoder.encode(JSON.stringify(entry) + "\n");
    let off = 0;
    while (off < bytes.length) off += this.#file.writeSync(bytes.subarray(off));
  }

  /** Closes the file. */
  close(): void {
    this.#file?.close();
    this.#file = null;
  }
}

/**
 * Parses an access log's text; blank lines are skipped.
 *
 * @throws {TypeError} naming the source and line of a malformed entry.
 */
export function parseAccessLog(text: string, source = "access log"): AccessEntry[] {
  const out: AccessEntry[] = [];
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    let v: Record<string, unknown>;
    try {
      v = JSON.parse(line);
    } catch (error) {
      throw new TypeError(
        `Invalid access log "${source}" line ${i + 1}: ${(error as Error).message}`,
      );
    }
    const ok = v !== null && typeof v === "object" && typeof v.time === "string" &&
      !Number.isNaN(Date.parse(v.time)) && (v.key === null || typeof v.key === "string") &&
      Number.isInteger(v.status) && Number.isInteger(v.images) && Number.isInteger(v.asked) &&
      typeof v.latency_ms === "number";
    if (!ok) {
      throw new TypeError(
        `Invalid access log "${source}" line ${
          i + 1
        }: expected {time, key, method, path, status, asked, images, latency_ms}`,
      );
    }
    out.push(v as unknown as AccessEntry);
  });
  return out;
}
