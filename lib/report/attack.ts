/**
 * The defender's view in the report: "What an attack looked like", an access log of
 * `deno task serve` (`lib/serve/access_log.ts`) summarised per key, with queries over time as a
 * chart and a table (`lib/serve/report.ts`). Shown only when `report.access_log` names a log.
 *
 * @module
 */

import { parseAccessLog } from "../serve/access_log.ts";
import { attackSpec, type AttackSummary, summariseLog } from "../serve/report.ts";
import { escapeHtml } from "../util/html.ts";
import { namespaceSvgIds, renderSvg } from "./render.ts";

/** What the section draws: the summary, its chart and the log it came from. */
export interface AttackView {
  /** The access log's workspace-relative path, shown in the text. */
  readonly source: string;
  readonly summary: AttackSummary;
  /** The queries-over-time chart (`attackSpec`), rendered. */
  readonly svg: string;
}

/**
 * Reads and summarises an access log into an {@linkcode AttackView} (buckets of
 * `bucketSeconds`).
 *
 * @throws {TypeError} naming the file and line of a malformed entry.
 */
export async function loadAttackView(path: string, bucketSeconds = 1): Promise<AttackView> {
  const entries = parseAccessLog(await Deno.readTextFile(path), path);
  const summary = summariseLog(entries, bucketSeconds);
  return { source: path, summary, svg: await renderSvg(attackSpec(summary)) };
}

const th = (cells: string[]) => `<tr>${cells.map((c) => `<th>${c}</th>`).join("")}</tr>`;
const td = (cells: string[], num: boolean[]) =>
  `<tr>${
    cells.map((c, i) => `<td${num[i] ? ' class="num"' : ""}>${escapeHtml(c)}</td>`).join("")
  }</tr>`;

/**
 * The section's HTML: the per-key table, the chart, and the per-bucket table folded (no script).
 *
 * @example Usage
 * ```ts
 * import { attackSection } from "./attack.ts";
 * import { summariseLog } from "../serve/report.ts";
 * import { ok } from "node:assert/strict";
 * const summary = summariseLog([{
 *   time: "2026-12-01T20:00:00.000Z", key: "mallory", method: "POST", path: "/v1/predict",
 *   status: 200, asked: 50, images: 50, latency_ms: 3.5,
 * }]);
 * ok(attackSection({ source: "access.jsonl", summary, svg: "<svg></svg>" }).includes("mallory"));
 * ```
 */
export function attackSection(view: AttackView): string {
  const { summary } = view;
  const keys = summary.keys.map((k) =>
    td([
      k.key,
      String(k.requests),
      String(k.images),
      Object.entries(k.statuses).map(([s, n]) => `${s}: ${n}`).join(", "),
      k.first,
      k.last,
      String(k.peak_images_per_bucket),
    ], [false, true, true, false, false, false, true])
  );
  const points = [...summary.series].sort((a, b) => a.t - b.t || (a.key < b.key ? -1 : 1));
  const series = points.map((p) =>
    td([String(p.t), p.key, String(p.requests), String(p.images), String(p.cumulative)], [
      true,
      false,
      true,
      true,
      true,
    ])
  );
  const bucket = summary.bucket_seconds;
  return `<section id="attack"><h2>What an attack looked like</h2>
<p>The prediction API's access log <code>${escapeHtml(view.source)}</code> (<code>deno task
serve --log</code>), as its operator sees it: per API key (its id, never the key), the requests,
the images answered (each one spent from the key's budget), the answers by HTTP status, the first
and last request and the most images answered in one ${bucket} s bucket.</p>
<table class="attack"><thead>${
    th(["Key", "Requests", "Images", "Statuses", "First", "Last", `Peak / ${bucket} s`])
  }</thead><tbody>
${keys.join("\n") || '<tr><td colspan="7" class="na">The log is empty.</td></tr>'}
</tbody></table>
<figure id="attack-queries" class="fig">
${namespaceSvgIds(view.svg.trim(), "attack")}
<figcaption><strong>Queries over time.</strong> Images answered per key, cumulative, in buckets of
${bucket} s from the log's first request${
    summary.start === null ? "" : ` (${escapeHtml(summary.start)})`
  }.</figcaption>
</figure>
<details><summary>Per bucket (${points.length} rows)</summary>
<table class="attack"><thead>${
    th([`t (s)`, "Key", "Requests", "Images", "Cumulative"])
  }</thead><tbody>
${series.join("\n")}
</tbody></table></details>
</section>`;
}
