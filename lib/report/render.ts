/**
 * Vega-Lite → Vega → SVG, headless (no browser, no canvas): text widths are estimated, so the
 * bytes depend only on the spec.
 *
 * @module
 */

import * as vl from "vega-lite";
import * as vega from "vega";
import type { VlSpec } from "./specs.ts";

/**
 * Compiles a Vega-Lite spec and renders it to an SVG string. Same spec, same bytes.
 *
 * @example Usage
 * ```ts
 * import { renderSvg } from "./render.ts";
 * import { ok } from "node:assert/strict";
 * const svg = await renderSvg({
 *   data: { values: [{ x: 1, y: 2 }] },
 *   mark: "point",
 *   encoding: { x: { field: "x", type: "quantitative" }, y: { field: "y", type: "quantitative" } },
 * });
 * ok(svg.startsWith("<svg"));
 * ```
 */
export async function renderSvg(spec: VlSpec): Promise<string> {
  // deno-lint-ignore no-explicit-any
  const compiled = vl.compile(spec as any, { logger: vega.logger(vega.Error) }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    const svg = await view.toSVG();
    return svg.endsWith("\n") ? svg : svg + "\n";
  } finally {
    view.finalize();
  }
}

const ID_REGEXP = /\bid="([^"]+)"/g;

/**
 * Prefixes every `id` in an SVG (and every `url(#…)` / `href="#…"` pointing at one), so several
 * SVGs inlined in one HTML page do not share clip-path or gradient ids (Vega numbers them
 * from 1 in every SVG).
 *
 * @example Usage
 * ```ts
 * import { namespaceSvgIds } from "./render.ts";
 * import { equal } from "node:assert/strict";
 * equal(
 *   namespaceSvgIds('<clipPath id="clip1"/><g clip-path="url(#clip1)"/>', "f2"),
 *   '<clipPath id="f2-clip1"/><g clip-path="url(#f2-clip1)"/>',
 * );
 * ```
 */
export function namespaceSvgIds(svg: string, prefix: string): string {
  const ids = new Set<string>();
  for (const m of svg.matchAll(ID_REGEXP)) ids.add(m[1]!);
  if (ids.size === 0) return svg;
  return svg
    .replace(ID_REGEXP, (_, id: string) => `id="${prefix}-${id}"`)
    .replace(/url\(#([^)]+)\)/g, (all, id: string) => ids.has(id) ? `url(#${prefix}-${id})` : all)
    .replace(
      /href="#([^"]+)"/g,
      (all, id: string) => ids.has(id) ? `href="#${prefix}-${id}"` : all,
    );
}
