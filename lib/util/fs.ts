/**
 * Atomic file writes: write a temporary file beside the target, then rename it into place, so a
 * reader (or a crash) never sees half a file.
 *
 * @module
 */

import { basename, dirname } from "node:path";

/**
 * Writes `data` to `path` atomically, creating the parent folder when needed.
 *
 * @example
 * ```ts
 * import { writeFileAtomic } from "./fs.ts";
 * const dir = await Deno.makeTempDir();
 * await writeFileAtomic(`${dir}/a.txt`, "hello\n");
 * console.assert(await Deno.readTextFile(`${dir}/a.txt`) === "hello\n");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const dir = dirname(path);
  await Deno.mkdir(dir, { recursive: true });
  const temp = await Deno.makeTempFile({ dir, prefix: `.${basename(path)}.`, suffix: ".tmp" });
  try {
    if (typeof data === "string") await Deno.writeTextFile(temp, data);
    else await Deno.writeFile(temp, data);
    // makeTempFile creates 0600; give the file the usual 0644 (no-op where modes do not exist).
    await Deno.chmod(temp, 0o644).catch(() => {});
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
}
