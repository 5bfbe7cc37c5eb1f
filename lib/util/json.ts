/**
 * Canonical JSON: keys sorted at every level, so equal values give equal bytes (for hashing,
 * caching and committed metrics files that diff cleanly).
 *
 * @module
 */

/** A JSON value. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | JsonValue[]
  | { [key: string]: JsonValue };

function sortKeys(value: unknown, path: string): unknown {
  if (value === null || typeof value !== "object") {
    if (typeof value === "number" && !Number.isFinite(value)) {
      throw new RangeError(`Invalid JSON number at ${path || "top level"}: got ${value}`);
    }
    return value;
  }
  if (Array.isArray(value)) return value.map((v, i) => sortKeys(v, `${path}[${i}]`));
  if (ArrayBuffer.isView(value)) {
    return Array.from(
      value as unknown as ArrayLike<number>,
      (v, i) => sortKeys(v, `${path}[${i}]`),
    );
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = sortKeys(v, path ? `${path}.${key}` : key);
  }
  return out;
}

/**
 * Serialises `value` with sorted keys; `indent` as in `JSON.stringify`. Non-finite numbers are
 * refused rather than silently written as `null`; `undefined` properties are dropped.
 *
 * @example
 * ```ts
 * import { canonicalJson } from "./json.ts";
 * console.assert(canonicalJson({ b: 1, a: [2] }) === '{"a":[2],"b":1}');
 * ```
 */
export function canonicalJson(value: unknown, indent?: number): string {
  return JSON.stringify(sortKeys(value, ""), null, indent);
}
