/**
 * `${var}` / `${params.key}` interpolation and the path normalization every phase uses.
 *
 * @module
 */
import { posix } from "node:path";
import { getParam, type ParamTree } from "../params.ts";
import type { ParamValue } from "../stage_context.ts";
import { quoteList } from "./common.ts";

const INTERP_REGEXP = /\$\{([^}]*)\}/g;

/**
 * Interpolates `${var}` (matrix values) and `${params.key}` in a string. Returns an error object
 * when a name is unknown or a value is not a scalar.
 *
 * @example Usage
 * ```ts
 * import { interpolate } from "./interpolate.ts";
 * const s = interpolate("out/${ds}-${params.n}.json", { ds: "mnist" }, { n: 3 });
 * if (s !== "out/mnist-3.json") throw new Error(String(s));
 * ```
 */
export function interpolate(
  template: string,
  vars: Readonly<Record<string, ParamValue>>,
  tree: ParamTree,
): string | { error: string } {
  let error: string | undefined;
  const out = template.replace(INTERP_REGEXP, (_m, exprRaw: string) => {
    const expr = exprRaw.trim();
    let value: ParamValue | undefined;
    if (expr.startsWith("params.")) {
      value = getParam(tree, expr.slice("params.".length));
      if (value === undefined) error ??= `unknown param "${expr.slice(7)}" in "\${${expr}}"`;
    } else if (Object.hasOwn(vars, expr)) {
      value = vars[expr];
    } else {
      error ??= `unknown variable "${expr}" in "\${${expr}}": expected a matrix key (${
        quoteList(Object.keys(vars))
      }) or params.<key>`;
    }
    if (value === undefined) return "";
    if (value !== null && typeof value === "object") {
      if (template.trim() === `\${${exprRaw}}`) return JSON.stringify(value);
      error ??= `"\${${expr}}" is not a scalar`;
      return "";
    }
    return scalarText(value);
  });
  return error ? { error } : out;
}

/** The value of a whole-string `${params.key}` (not stringified), else `undefined`. */
export function resolveWhole(expr: string, tree: ParamTree): unknown {
  const inner = expr.slice(2, -1).trim();
  if (!inner.startsWith("params.")) return undefined;
  return getParam(tree, inner.slice("params.".length));
}

/** A scalar as it appears in names and paths (strings bare, the rest as JSON). */
export function scalarText(v: ParamValue): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

/** `/`-separated, normalized, no leading `./`; a folder keeps its trailing `/`. */
export function normalizePath(p: string): string {
  const folder = p.endsWith("/");
  let n = posix.normalize(p.replaceAll("\\", "/"));
  if (n.endsWith("/") && n.length > 1) n = n.slice(0, -1);
  if (n.startsWith("./")) n = n.slice(2);
  return folder && n !== "." ? `${n}/` : n;
}
