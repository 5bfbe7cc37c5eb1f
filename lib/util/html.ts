/**
 * HTML escaping for the pages Quarry writes (the report, `deno task diff --html`).
 *
 * @example
 * ```ts
 * import { escapeHtml } from "./html.ts";
 * if (escapeHtml('<a href="x">&</a>') !== "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;") {
 *   throw new Error("not escaped");
 * }
 * ```
 *
 * @module
 */

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(
    /"/g,
    "&quot;",
  );
}
