/**
 * Small file-system helpers: atomic writes and tolerant removal.
 *
 * @module
 */
import { dirname } from "node:path";

let counter = 0;

/** A temporary sibling path, unique within this process. */
export function tempSibling(path: string): string {
  counter += 1;
  return `${path}.${Deno.pid}.${counter}.tmp`;
}

/** Writes a file atomically: writes a temporary sibling, then renames it over the target. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  Deno.mkdirSync(dirname(path), { recursive: true });
  const tmp = tempSibling(path);
  try {
    if (typeof data === "string") Deno.writeTextFileSync(tmp, data);
    else Deno.writeFileSync(tmp, data);
    Deno.renameSync(tmp, path);
  } catch (e) {
    // A full disk must not leave a partial temporary file behind.
    try {
      Deno.removeSync(tmp);
    } catch {
      // never created
    }
    throw e;
  }
}

/** Removes a file or folder; a missing path is fine. */
export function removePath(path: string): void {
  try {
    Deno.removeSync(path, { recursive: true });
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
}

/** True when the path exists (file or folder). */
export function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** An instance name as a file name: characters other than letters, digits and `_.@=-` become `_`. */
export function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.@=-]/g, "_");
}
