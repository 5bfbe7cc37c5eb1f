/**
 * File URL helper (JSR's `@std/path` is not reachable here).
 *
 * @module
 */
import { pathToFileURL } from "node:url";

/** The `file://` URL string of an absolute path. */
export function toFileUrl(abs: string): string {
  return pathToFileURL(abs).href;
}
