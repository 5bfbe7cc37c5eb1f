/**
 * API keys: the keys file (`--keys keys.json`), looking a presented key up in constant time,
 * and adding a key (printed once, stored only as its SHA-256).
 *
 * Keys file, version 1:
 * ```json
 * {
 *   "version": 1,
 *   "keys": [
 *     { "id": "alice", "sha256": "<64 hex>", "budget": 5000, "answer": "labels", "rate": 10 }
 *   ]
 * }
 * ```
 * `budget`: images the key may ever ask about; `answer`: `"labels"` or `"probabilities"`;
 * `rate`: requests per second (a token bucket holding one second's worth), or `null` for none.
 *
 * @module
 */

import { writeFileAtomic } from "../util/fs.ts";
import type { PlanAnswer } from "./wire.ts";

/** One key's plan; the key itself is never stored. */
export interface KeyRecord {
  /** Names the key in usage files and the access log. */
  readonly id: string;
  /** SHA-256 of the key's UTF-8 bytes, lowercase hex. */
  readonly sha256: string;
  /** Most images the key may ever ask about. */
  readonly budget: number;
  /** What the key's answers hold. */
  readonly answer: PlanAnswer;
  /** Requests per second, or null for no rate limit. */
  readonly rate: number | null;
}

/** The parsed keys file. */
export interface KeysFile {
  readonly version: 1;
  readonly keys: readonly KeyRecord[];
}

const ID = /^[A-Za-z0-9_.-]{1,64}$/;
const HEX64 = /^[0-9a-f]{64}$/;

function fail(source: string, field: string, expected: string, got: unknown): never {
  throw new TypeError(
    `Invalid keys file "${source}" at ${field}: expected ${expected}, got ${JSON.stringify(got)}`,
  );
}

/**
 * Validates a parsed keys file.
 *
 * @throws {TypeError} naming the file, the field and what was expected.
 */
export function parseKeysFile(value: unknown, source = "keys file"): KeysFile {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    fail(source, "top level", "an object", value);
  }
  const v = value as Record<string, unknown>;
  if (v.version !== 1) fail(source, "version", "1", v.version);
  if (!Array.isArray(v.keys)) fail(source, "keys", "a list", v.keys);
  const ids = new Set<string>();
  const keys = v.keys.map((k: unknown, i: number): KeyRecord => {
    const at = `keys[${i}]`;
    if (k === null || typeof k !== "object" || Array.isArray(k)) fail(source, at, "an object", k);
    const r = k as Record<string, unknown>;
    if (typeof r.id !== "string" || !ID.test(r.id)) {
      fail(source, `${at}.id`, "1-64 characters of A-Z a-z 0-9 _ . -", r.id);
    }
    if (ids.has(r.id)) fail(source, `${at}.id`, "an id not used before", r.id);
    ids.add(r.id);
    if (typeof r.sha256 !== "string" || !HEX64.test(r.sha256)) {
      fail(source, `${at}.sha256`, "64 lowercase hex digits", r.sha256);
    }
    if (!Number.isSafeInteger(r.budget) || (r.budget as number) < 0) {
      fail(source, `${at}.budget`, "a non-negative integer (images)", r.budget);
    }
    if (r.answer !== "labels" && r.answer !== "probabilities") {
      fail(source, `${at}.answer`, `"labels" or "probabilities"`, r.answer);
    }
    const rate = r.rate ?? null;
    if (rate !== null && !(typeof rate === "number" && Number.isFinite(rate) && rate > 0)) {
      fail(source, `${at}.rate`, "a positive number (requests per second) or null", rate);
    }
    return {
      id: r.id,
      sha256: r.sha256,
      budget: r.budget as number,
      answer: r.answer,
      rate: rate as number | null,
    };
  });
  return { version: 1, keys };
}

/** Reads and validates a keys file; a missing file is an error naming it. */
export async function readKeysFile(path: string): Promise<KeysFile> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new TypeError(
        `Keys file "${path}" not found: create one with "deno task serve keys add --keys ${path}"`,
      );
    }
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new TypeError(`Invalid keys file "${path}": ${(error as Error).message}`);
  }
  return parseKeysFile(json, path);
}

/** SHA-256 of a key's UTF-8 bytes. */
export async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Lowercase hex SHA-256 of a key, as stored in the keys file. */
export async function hashKey(key: string): Promise<string> {
  return toHex(await sha256(key));
}

/**
 * Equal-length byte comparison whose time does not depend on where the bytes differ.
 *
 * @example Usage
 * ```ts
 * import { constantTimeEqual } from "./keys.ts";
 * console.assert(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2])));
 * console.assert(!constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3])));
 * ```
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** Looks keys up by their hash; every lookup compares against every stored hash. */
export class KeyRing {
  #records: readonly KeyRecord[];
  #hashes: readonly Uint8Array[];

  /** Indexes the keys of a keys file. */
  constructor(file: KeysFile) {
    this.#records = file.keys;
    this.#hashes = file.keys.map((k) => fromHex(k.sha256));
  }

  /** The keys' plans. */
  get records(): readonly KeyRecord[] {
    return this.#records;
  }

  /**
   * The plan of a presented key, or null. The key is hashed first (so its length leaks nothing)
   * and compared with every stored hash without stopping at a match.
   */
  async find(key: string): Promise<KeyRecord | null> {
    const digest = await sha256(key);
    let found: KeyRecord | null = null;
    for (let i = 0; i < this.#hashes.length; i++) {
      const match = constantTimeEqual(digest, this.#hashes[i]!);
      if (match && found === null) found = this.#records[i]!;
    }
    return found;
  }
}

/** A new random key: `qk_` and 32 random bytes in base64url (256 bits). */
export function generateKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const b64 = btoa(String.fromCharCode(...bytes));
  return "qk_" + b64.replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** Options of {@linkcode addKey}. */
export interface AddKeyOptions {
  readonly budget: number;
  readonly answer: PlanAnswer;
  readonly rate?: number | null;
  /** The key's id (default `key-N`, the first N not taken). */
  readonly id?: string;
}

/**
 * Adds a fresh key to the keys file (creating it when missing), atomically, and returns the key
 * itself: the only time it exists outside the client's hands.
 */
export async function addKey(
  path: string,
  options: AddKeyOptions,
): Promise<{ key: string; record: KeyRecord }> {
  let existing: KeyRecord[] = [];
  try {
    await Deno.stat(path);
    existing = [...(await readKeysFile(path)).keys];
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  let id = options.id;
  if (id === undefined) {
    const taken = new Set(existing.map((k) => k.id));
    let n = existing.length + 1;
    while (taken.has(`key-${n}`)) n++;
    id = `key-${n}`;
  }
  const key = generateKey();
  const record = { id, sha256: await hashKey(key), ...planOf(options) };
  const file = parseKeysFile({ version: 1, keys: [...existing, record] }, path);
  await writeFileAtomic(path, JSON.stringify(file, null, 2) + "\n");
  return { key, record: file.keys[file.keys.length - 1]! };
}

function planOf(o: AddKeyOptions): Pick<KeyRecord, "budget" | "answer" | "rate"> {
  return { budget: o.budget, answer: o.answer, rate: o.rate ?? null };
}
