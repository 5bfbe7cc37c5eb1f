/**
 * Hashing and copying files in fixed-size chunks, so the runner's memory stays flat however large
 * an out is (a whole-file read of a 2 GB out would hold 2 GB).
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { Digest } from "./hash.ts";

/** Bytes read per chunk. */
export const CHUNK_SIZE = 1 << 20;

/** One buffer for every read: the functions here are synchronous and never nest. */
let shared: Uint8Array | undefined;

function readChunks(path: string, each: (chunk: Uint8Array) => void): number {
  const file = Deno.openSync(path, { read: true });
  const buf = shared ??= new Uint8Array(CHUNK_SIZE);
  let total = 0;
  try {
    while (true) {
      const n = file.readSync(buf);
      if (n === null || n === 0) break;
      each(buf.subarray(0, n));
      total += n;
    }
  } finally {
    file.close();
  }
  return total;
}

/**
 * SHA-256 of a file's contents, read in chunks.
 *
 * @example Usage
 * ```ts
 * import { sha256File } from "./file_stream.ts";
 * const path = Deno.makeTempFileSync();
 * if (sha256File(path) !== "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") {
 *   throw new Error("bad digest");
 * }
 * Deno.removeSync(path);
 * ```
 */
export function sha256File(path: string): Digest {
  const h = createHash("sha256");
  readChunks(path, (c) => h.update(c));
  return h.digest("hex");
}

/**
 * Copies `src` to a new file `dest` in chunks and returns the SHA-256 of what was copied.
 * `dest` must not exist (it is created exclusively, so an existing file or a planted symlink is
 * never followed). On any error the partial `dest` is removed and the error rethrown.
 */
export function copyFileHashed(src: string, dest: string): Digest {
  const out = Deno.openSync(dest, { write: true, createNew: true });
  const h = createHash("sha256");
  try {
    readChunks(src, (c) => {
      h.update(c);
      let off = 0;
      while (off < c.length) off += out.writeSync(c.subarray(off));
    });
  } catch (e) {
    out.close();
    try {
      Deno.removeSync(dest);
    } catch {
      // already gone
    }
    throw e;
  }
  out.close();
  return h.digest("hex");
}
