/**
 * Where dataset files come from: the data directory (param `data.dir`, overridden by the
 * `QUARRY_DATA` environment variable), checked by SHA-256, and downloaded from a public mirror
 * when missing. A download is written to a temporary file, verified, then renamed into place, so
 * a failed or wrong download leaves nothing behind.
 *
 * @module
 */

import { basename, dirname, join, resolve } from "node:path";
import type { DatasetFileRole, DatasetInfo } from "./registry.ts";

/** The environment variable that overrides the `data.dir` param. */
export const DATA_ENV = "QUARRY_DATA";

/** Reads an env var, treating "not permitted" like "not set" (stages may run without env access). */
function readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

/**
 * Resolves the data directory: `$QUARRY_DATA` when set and non-empty, else `param` (the
 * `data.dir` param), resolved against the working directory.
 *
 * @example
 * ```ts
 * import { resolveDataDir } from "./source.ts";
 * console.assert(resolveDataDir("/data", { env: "" }) === "/data");
 * console.assert(resolveDataDir("/data", { env: "/env" }) === "/env");
 * ```
 *
 * @throws {RangeError} when neither is given.
 */
export function resolveDataDir(
  param: string | null | undefined,
  options?: { readonly env?: string },
): string {
  const env = options === undefined ? readEnv(DATA_ENV) : options.env;
  const chosen = env !== undefined && env !== "" ? env : param;
  if (chosen === undefined || chosen === null || chosen === "") {
    throw new RangeError(
      `No data directory: expected the param "data.dir" or the environment variable ${DATA_ENV}`,
    );
  }
  return resolve(chosen);
}

/** Lowercase hex SHA-256 of `bytes`. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Options of {@linkcode fetchDatasetFile}. */
export interface FetchOptions {
  /** The data directory (see {@linkcode resolveDataDir}). */
  readonly dir: string;
  /** Download from the mirrors when the file is missing (default true). */
  readonly download?: boolean;
  /** The fetch implementation (tests inject one; default the global `fetch`). */
  readonly fetch?: typeof fetch;
  /** Called with a line of text when a download starts or fails over to another mirror. */
  readonly log?: (line: string) => void;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/**
 * Returns the verified bytes of one dataset file, downloading it into the data directory first
 * when it is missing and `download` allows.
 *
 * @throws {RangeError} when the directory is missing, a checksum does not match, or the file is
 * missing and cannot be downloaded; the message names the file and the expected SHA-256.
 */
export async function fetchDatasetFile(
  info: DatasetInfo,
  role: DatasetFileRole,
  options: FetchOptions,
): Promise<Uint8Array> {
  const file = info.files[role];
  const path = join(options.dir, info.name, file.name);
  if (await exists(path)) {
    const bytes = await Deno.readFile(path);
    const got = await sha256Hex(bytes);
    if (got !== file.sha256) {
      throw new RangeError(
        `Checksum mismatch for "${path}": expected SHA-256 ${file.sha256}, got ${got}`,
      );
    }
    return bytes;
  }
  if (!(await exists(options.dir))) {
    throw new RangeError(
      `Data directory "${options.dir}" does not exist: expected a folder holding ` +
        `"${info.name}/${file.name}" (set the param "data.dir" or ${DATA_ENV})`,
    );
  }
  if (options.download === false) {
    throw new RangeError(
      `Missing dataset file "${path}": expected ${info.name}'s ${file.name} ` +
        `(SHA-256 ${file.sha256}); downloads are off (param "data.download")`,
    );
  }
  return await download(info, role, path, options);
}

/** Writes verified bytes to `path` atomically (temp file, then rename). */
async function keep(path: string, bytes: Uint8Array): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const temp = await Deno.makeTempFile({
    dir: dirname(path),
    prefix: `.${basename(path)}.`,
    suffix: ".tmp",
  });
  try {
    await Deno.writeFile(temp, bytes);
    await Deno.chmod(temp, 0o644).catch(() => {});
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
}

async function download(
  info: DatasetInfo,
  role: DatasetFileRole,
  path: string,
  options: FetchOptions,
): Promise<Uint8Array> {
  const file = info.files[role];
  const doFetch = options.fetch ?? fetch;
  const failures: string[] = [];
  for (const mirror of info.mirrors) {
    const url = mirror + file.name;
    options.log?.(`downloading ${url}`);
    let bytes: Uint8Array;
    try {
      const response = await doFetch(url);
      if (!response.ok) {
        await response.body?.cancel();
        failures.push(`${url}: HTTP ${response.status}`);
        continue;
      }
      bytes = new Uint8Array(await response.arrayBuffer());
    } catch (error) {
      failures.push(`${url}: ${(error as Error).message}`);
      continue;
    }
    const got = await sha256Hex(bytes);
    if (got !== file.sha256) {
      failures.push(`${url}: SHA-256 ${got}`);
      continue;
    }
    try {
      await keep(path, bytes);
    } catch (error) {
      // A sandboxed stage may not write the data dir: use the verified bytes without keeping them.
      if (
        !(error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied)
      ) {
        throw error;
      }
      options.log?.(`cannot keep ${path} (${error.message}); using the download in memory`);
    }
    return bytes;
  }
  throw new RangeError(
    `Missing dataset file "${path}": expected ${info.name}'s ${file.name} ` +
      `(SHA-256 ${file.sha256}); download failed: ${failures.join("; ")}`,
  );
}
