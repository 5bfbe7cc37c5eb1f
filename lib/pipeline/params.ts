/**
 * The params tree: dotted-key access, profile overrides and `--set key=value` parsing.
 *
 * @module
 */
import { parse as parseYaml } from "yaml";
import type { ParamValue } from "./stage_context.ts";

/** A params tree (a JSON object). */
export type ParamTree = { [key: string]: ParamValue };

/** Splits a dotted key into segments. */
export function splitKey(key: string): string[] {
  return key.split(".");
}

/**
 * The value at a dotted key, or `undefined` when absent. Numeric segments index arrays.
 *
 * @example Usage
 * ```ts
 * import { getParam } from "./params.ts";
 * if (getParam({ a: { b: [1, 2] } }, "a.b.1") !== 2) throw new Error("bad lookup");
 * ```
 */
export function getParam(tree: ParamValue, key: string): ParamValue | undefined {
  let node: ParamValue | undefined = tree;
  for (const seg of splitKey(key)) {
    if (Array.isArray(node)) {
      node = /^\d+$/.test(seg) ? node[Number(seg)] : undefined;
    } else if (node !== null && typeof node === "object") {
      node = Object.hasOwn(node, seg) ? node[seg] : undefined;
    } else {
      return undefined;
    }
    if (node === undefined) return undefined;
  }
  return node;
}

/** Returns a copy of `tree` with the value at a dotted key replaced (parents must exist). */
export function setParam(tree: ParamTree, key: string, value: ParamValue): ParamTree {
  const segs = splitKey(key);
  const copy = structuredClone(tree);
  let node: ParamValue = copy;
  for (const seg of segs.slice(0, -1)) {
    const next: ParamValue | undefined = Array.isArray(node)
      ? node[Number(seg)]
      : (node as ParamTree)[seg];
    if (next === null || typeof next !== "object") {
      throw new RangeError(`Cannot set param "${key}": "${seg}" is not a mapping`);
    }
    node = next;
  }
  const last = segs[segs.length - 1]!;
  if (Array.isArray(node)) node[Number(last)] = value;
  else (node as ParamTree)[last] = value;
  return copy;
}

/**
 * Parses a `--set key=value` argument; the value is read as a YAML scalar or flow collection
 * (`3` is a number, `[1, 2]` a list, `abc` a string).
 *
 * @example Usage
 * ```ts
 * import { parseSetArg } from "./params.ts";
 * const { key, value } = parseSetArg("train.epochs=3");
 * if (key !== "train.epochs" || value !== 3) throw new Error("bad parse");
 * ```
 */
export function parseSetArg(arg: string): { key: string; value: ParamValue } {
  const eq = arg.indexOf("=");
  if (eq <= 0) {
    throw new RangeError(`Invalid --set "${arg}": expected key=value`);
  }
  const key = arg.slice(0, eq).trim();
  const raw = arg.slice(eq + 1);
  let value: ParamValue;
  try {
    value = (raw.trim() === "" ? "" : parseYaml(raw)) as ParamValue;
  } catch {
    value = raw;
  }
  return { key, value: value ?? null };
}
