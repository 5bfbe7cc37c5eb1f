/**
 * `deno task diff`: what changed between two states of `pipeline.lock` (two commits, or a commit
 * and the workspace): instances added, removed or rerun, params, metrics with deltas, and outs
 * whose content changed. Pure functions over {@linkcode LockFile}; the CLI (`diff_cli.ts`) reads
 * the locks with `git show` and prints text, JSON or HTML.
 *
 * @module
 */

import type { LockEntry, LockFile } from "./lock_file.ts";
import type { ParamValue } from "./stage_context.ts";
import { escapeHtml } from "../util/html.ts";

/** An instance present in only one lock, or whose key changed (it ran again). */
export interface InstanceChange {
  profile: string;
  instance: string;
  status: "added" | "removed" | "rerun";
}

/** A param whose value differs. `null` old/new: absent on that side. */
export interface ParamChange {
  profile: string;
  instance: string;
  key: string;
  old: ParamValue | undefined;
  new: ParamValue | undefined;
}

/** A metric value on both sides; `delta` = new − old when both exist. */
export interface MetricChange {
  profile: string;
  instance: string;
  file: string;
  path: string;
  old: number | null;
  new: number | null;
  delta: number | null;
}

/** An out whose hash differs. */
export interface OutChange {
  profile: string;
  instance: string;
  path: string;
  status: "added" | "removed" | "modified";
  old: string | null;
  new: string | null;
}

/** Everything that differs between two locks. */
export interface LockDiff {
  /** Labels of the two sides, e.g. `HEAD` and `workspace`. */
  a: string;
  b: string;
  instances: InstanceChange[];
  params: ParamChange[];
  metrics: MetricChange[];
  outs: OutChange[];
}

/** Options of {@linkcode diffLocks}. */
export interface DiffOptions {
  /** Labels of the two sides. */
  labels?: [string, string];
  /** Only this profile. */
  profile?: string;
  /** Report unchanged metrics too (delta 0), as `dvc metrics diff --all`. */
  all?: boolean;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortedKeys(...objs: (Readonly<Record<string, unknown>> | undefined)[]): string[] {
  const keys = new Set<string>();
  for (const o of objs) for (const k of Object.keys(o ?? {})) keys.add(k);
  return [...keys].sort(cmp);
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === "object") {
    return Object.fromEntries(
      Object.keys(v).sort(cmp).map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

/** Params with subtrees spread into dotted keys (`active` → `active.budget`, …), so a diff names the leaf that changed. */
export function flattenParams(
  params: Readonly<Record<string, ParamValue>> | undefined,
): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {};
  const walk = (prefix: string, v: ParamValue) => {
    if (v !== null && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length > 0) {
      for (const [k, x] of Object.entries(v)) walk(`${prefix}.${k}`, x);
    } else {
      out[prefix] = v;
    }
  };
  for (const [k, v] of Object.entries(params ?? {})) walk(k, v);
  return out;
}

/**
 * Compares two locks instance by instance (matched by profile and instance name). Output is
 * sorted by profile, instance and key, so it is deterministic.
 *
 * @example Usage
 * ```ts
 * import { diffLocks } from "./diff.ts";
 * import { equal } from "node:assert/strict";
 * const entry = (acc: number) => ({
 *   key: String(acc), stage: "t", run: "stages/t.ts", vars: {}, params: {}, deps: {}, code: {},
 *   packages: [], outs: { "m.json": String(acc) }, metrics: { "m.json": { acc } },
 * });
 * const a = { version: 1, profiles: { quick: { t: entry(0.9) } } };
 * const b = { version: 1, profiles: { quick: { t: entry(0.95) } } };
 * const d = diffLocks(a, b);
 * equal(d.metrics[0]!.delta!.toFixed(2), "0.05");
 * equal(d.outs[0]!.status, "modified");
 * ```
 */
export function diffLocks(a: LockFile, b: LockFile, options: DiffOptions = {}): LockDiff {
  const [la, lb] = options.labels ?? ["a", "b"];
  const diff: LockDiff = { a: la, b: lb, instances: [], params: [], metrics: [], outs: [] };
  const profiles = sortedKeys(a.profiles, b.profiles).filter((p) =>
    options.profile === undefined || p === options.profile
  );
  for (const profile of profiles) {
    const pa = a.profiles[profile] ?? {};
    const pb = b.profiles[profile] ?? {};
    for (const instance of sortedKeys(pa, pb)) {
      const ea: LockEntry | undefined = pa[instance];
      const eb: LockEntry | undefined = pb[instance];
      if (!ea || !eb) {
        diff.instances.push({ profile, instance, status: ea ? "removed" : "added" });
      } else if (ea.key !== eb.key) {
        diff.instances.push({ profile, instance, status: "rerun" });
      }
      const fa = flattenParams(ea?.params);
      const fb = flattenParams(eb?.params);
      for (const key of sortedKeys(fa, fb)) {
        const o = fa[key];
        const n = fb[key];
        if (!sameValue(o, n)) diff.params.push({ profile, instance, key, old: o, new: n });
      }
      for (const file of sortedKeys(ea?.metrics, eb?.metrics)) {
        const ma = ea?.metrics[file];
        const mb = eb?.metrics[file];
        for (const path of sortedKeys(ma, mb)) {
          const o = ma?.[path] ?? null;
          const n = mb?.[path] ?? null;
          if (o === n && !options.all) continue;
          const delta = o !== null && n !== null ? n - o : null;
          diff.metrics.push({ profile, instance, file, path, old: o, new: n, delta });
        }
      }
      for (const path of sortedKeys(ea?.outs, eb?.outs)) {
        const o = ea?.outs[path] ?? null;
        const n = eb?.outs[path] ?? null;
        if (o === n) continue;
        const status = o === null ? "added" : n === null ? "removed" : "modified";
        diff.outs.push({ profile, instance, path, status, old: o, new: n });
      }
    }
  }
  return diff;
}

/** True when the two locks record the same results. */
export function isEmptyDiff(diff: LockDiff): boolean {
  return diff.instances.length + diff.params.length + diff.metrics.length + diff.outs.length ===
    0;
}

/** Fixed formatting of a number: up to 6 significant decimals, no exponent for usual values. */
export function formatNumber(x: number | null): string {
  if (x === null) return "–";
  if (Number.isInteger(x)) return String(x);
  const s = x.toFixed(6).replace(/0+$/, "").replace(/\.$/, "");
  return s === "-0" ? "0" : s;
}

function formatDelta(x: number | null): string {
  if (x === null) return "–";
  const s = formatNumber(x);
  return x > 0 ? `+${s}` : s;
}

function formatValue(v: ParamValue | undefined): string {
  return v === undefined ? "–" : JSON.stringify(v);
}

/** Column-aligned text table. */
function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

/** One section of a diff: a title, a header and rows of cells. */
interface DiffTable {
  title: string;
  header: string[];
  rows: string[][];
}

/** The diff's non-empty sections, as cells for the text and the HTML forms. */
function diffTables(diff: LockDiff): DiffTable[] {
  const where = (c: { profile: string; instance: string }) => `${c.profile}:${c.instance}`;
  const tables: DiffTable[] = [
    {
      title: "Instances",
      header: ["Instance", "Status"],
      rows: diff.instances.map((c) => [where(c), c.status]),
    },
    {
      title: "Params",
      header: ["Instance", "Param", diff.a, diff.b],
      rows: diff.params.map((c) => [where(c), c.key, formatValue(c.old), formatValue(c.new)]),
    },
    {
      title: "Metrics",
      header: ["Instance", "Metric", diff.a, diff.b, "Change"],
      rows: diff.metrics.map((c) => [
        where(c),
        `${c.file}:${c.path}`,
        formatNumber(c.old),
        formatNumber(c.new),
        formatDelta(c.delta),
      ]),
    },
    {
      title: "Outs",
      header: ["Instance", "Out", "Status"],
      rows: diff.outs.map((c) => [where(c), c.path, c.status]),
    },
  ];
  return tables.filter((t) => t.rows.length > 0);
}

/** The diff as text, one table per section; "No changes" when empty. */
export function formatDiffText(diff: LockDiff): string {
  const out: string[] = [`pipeline.lock: ${diff.a} → ${diff.b}`];
  if (isEmptyDiff(diff)) return `${out[0]}\nNo changes.\n`;
  for (const t of diffTables(diff)) out.push("", t.title, table(t.header, t.rows));
  return out.join("\n") + "\n";
}

/** A figure on both sides (either may be missing), for the side-by-side HTML. */
export interface FigurePair {
  path: string;
  a: string | null;
  b: string | null;
}

function svgImg(svg: string | null, alt: string): string {
  if (svg === null) return `<div class="none">absent</div>`;
  const bytes = new TextEncoder().encode(svg);
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  const b64 = btoa(bin);
  return `<img alt="${escapeHtml(alt)}" src="data:image/svg+xml;base64,${b64}">`;
}

/**
 * The diff as a self-contained HTML page: the tables, then every figure side by side (changed
 * ones first and marked). SVGs are embedded as data URLs, so their ids cannot clash.
 */
export function formatDiffHtml(diff: LockDiff, figures: readonly FigurePair[]): string {
  const rows = (cells: string[][]) =>
    cells.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join("")}</tr>`).join("\n");
  const section = ({ title, header, rows: cells }: DiffTable) =>
    `<h2>${escapeHtml(title)}</h2><table><thead><tr>${
      header.map((h) => `<th>${escapeHtml(h)}</th>`).join("")
    }</tr></thead><tbody>${rows(cells)}</tbody></table>`;
  const changed = figures.filter((f) => f.a !== f.b);
  const same = figures.filter((f) => f.a === f.b);
  const fig = (f: FigurePair) =>
    `<div class="pair${f.a !== f.b ? " changed" : ""}"><h3>${escapeHtml(f.path)}${
      f.a !== f.b ? ' <span class="tag">changed</span>' : ""
    }</h3><div class="cols"><div><div class="side">${escapeHtml(diff.a)}</div>${
      svgImg(f.a, `${f.path} at ${diff.a}`)
    }</div><div><div class="side">${escapeHtml(diff.b)}</div>${
      svgImg(f.b, `${f.path} at ${diff.b}`)
    }</div></div></div>`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Quarry diff: ${escapeHtml(diff.a)} → ${
    escapeHtml(diff.b)
  }</title>
<style>body{font-family:system-ui,sans-serif;margin:1rem 1.5rem;color:#222}
table{border-collapse:collapse;font-size:.85rem;margin-bottom:1rem}
th,td{border:1px solid #ddd;padding:.2rem .45rem;text-align:left}th{background:#f5f5f5}
.cols{display:grid;grid-template-columns:1fr 1fr;gap:1rem}.cols img{max-width:100%}
.side{font-size:.8rem;color:#666}.tag{background:#fde3b0;font-size:.75rem;padding:0 .4rem;
border-radius:.5rem}.none{color:#999;padding:2rem;border:1px dashed #ccc}
.pair{margin-bottom:1.5rem}</style></head><body>
<h1>pipeline.lock: ${escapeHtml(diff.a)} → ${escapeHtml(diff.b)}</h1>
${isEmptyDiff(diff) ? "<p>No changes in the lock.</p>" : ""}
${diffTables(diff).map(section).join("\n")}
<h2>Figures (${changed.length} changed, ${same.length} unchanged)</h2>
${[...changed, ...same].map(fig).join("\n") || "<p>No figures.</p>"}
</body></html>
`;
}
