/**
 * Spent queries per key, kept durable: every answer is sent only after the usage that includes
 * it has been written to a temporary file, fsynced, renamed over the usage file and the folder
 * fsynced. A restart or `kill -9` therefore never forgets a spent query and never resets a
 * budget. Concurrent requests share writes (group commit): a request waits for the first write
 * that starts after its images were counted.
 *
 * Usage file: `{"version": 1, "used": {"<key id>": <images>}}`.
 *
 * @module
 */

import { basename, dirname, join } from "node:path";

/** Durable per-key counts of images answered. */
export class UsageStore {
  #path: string;
  #used: Map<string, number>;
  /** Bumped on every change; a write covers the generation it snapshotted. */
  #generation = 0;
  #durable = 0;
  #writing: Promise<void> | null = null;

  private constructor(path: string, used: Map<string, number>) {
    this.#path = path;
    this.#used = used;
  }

  /**
   * Opens the usage file at `path` (an absent file is all zeros).
   *
   * @throws {TypeError} naming the file and field when it is malformed.
   */
  static async open(path: string): Promise<UsageStore> {
    let text: string | null = null;
    try {
      text = await Deno.readTextFile(path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    return new UsageStore(path, text === null ? new Map() : parseUsage(text, path));
  }

  /** Where the usage is kept. */
  get path(): string {
    return this.#path;
  }

  /** Images counted against `id` so far (durable or about to be). */
  used(id: string): number {
    return this.#used.get(id) ?? 0;
  }

  /**
   * Counts `n` images against `id` if that stays within `budget`; synchronous, so concurrent
   * requests can never both take the last images. Returns whether it was counted.
   */
  reserve(id: string, n: number, budget: number): boolean {
    const used = this.used(id);
    if (used + n > budget) return false;
    this.#used.set(id, used + n);
    this.#generation++;
    return true;
  }

  /** Gives back images counted by {@linkcode reserve} whose answer was never computed. */
  release(id: string, n: number): void {
    this.#used.set(id, Math.max(0, this.used(id) - n));
    this.#generation++;
  }

  /** Resolves once every count made before the call is on disk. */
  async commit(): Promise<void> {
    const wanted = this.#generation;
    while (this.#durable < wanted) {
      if (this.#writing !== null) {
        await this.#writing.catch(() => {});
        continue;
      }
      const generation = this.#generation;
      const text = formatUsage(this.#used);
      this.#writing = writeDurable(this.#path, text).then(() => {
        this.#durable = Math.max(this.#durable, generation);
      }).finally(() => {
        this.#writing = null;
      });
      await this.#writing;
    }
  }
}

function parseUsage(text: string, path: string): Map<string, number> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new TypeError(`Invalid usage file "${path}": ${(error as Error).message}`);
  }
  const v = json as { version?: unknown; used?: unknown } | null;
  if (v === null || typeof v !== "object" || v.version !== 1) {
    throw new TypeError(`Invalid usage file "${path}" at version: expected 1`);
  }
  if (v.used === null || typeof v.used !== "object" || Array.isArray(v.used)) {
    throw new TypeError(`Invalid usage file "${path}" at used: expected an object of counts`);
  }
  const out = new Map<string, number>();
  for (const [id, n] of Object.entries(v.used as Record<string, unknown>)) {
    if (!Number.isSafeInteger(n) || (n as number) < 0) {
      throw new TypeError(
        `Invalid usage file "${path}" at used.${id}: expected a non-negative integer, got ${
          JSON.stringify(n)
        }`,
      );
    }
    out.set(id, n as number);
  }
  return out;
}

function formatUsage(used: ReadonlyMap<string, number>): string {
  const sorted = Object.fromEntries([...used].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return JSON.stringify({ version: 1, used: sorted }, null, 2) + "\n";
}

let tempCounter = 0;

/** Write, fsync, rename, fsync the folder: the file is the old or the new bytes, and durable. */
async function writeDurable(path: string, text: string): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${Deno.pid}.${tempCounter++}.tmp`);
  const file = await Deno.open(temp, { write: true, create: true, truncate: true, mode: 0o600 });
  try {
    const bytes = new TextEncoder().encode(text);
    let off = 0;
    while (off < bytes.length) off += await file.write(bytes.subarray(off));
    await file.sync();
  } finally {
    file.close();
  }
  try {
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
  await syncDir(dir);
}

async function syncDir(dir: string): Promise<void> {
  if (Deno.build.os === "windows") return;
  const handle = await Deno.open(dir, { read: true });
  try {
    await handle.sync();
  } finally {
    handle.close();
  }
}
