/**
 * The transfer stage's results as the figures and claims read them: one record per run and
 * checkpoint (`transfer/<dataset>-<strategy>-r<repeat>-q<queries>.json`), and the curves of
 * transfer success against queries per strategy, with the white-box ceiling and the noise floor.
 *
 * @module
 */

import { join } from "node:path";
import { compareStrings, summarize } from "./aggregate.ts";
import { canonicalStrategy } from "./results.ts";

/** The four rates of one attack at one eps. */
export interface TransferRates {
  readonly attack: string;
  readonly eps: number;
  /** Substitute-crafted examples on the target. */
  readonly transfer: number;
  /** The same examples on the substitute. */
  readonly white_box: number;
  /** Target-crafted examples on the target. */
  readonly ceiling: number;
  /** Random sign noise on the target. */
  readonly floor: number;
}

/** One transfer instance. */
export interface TransferRecord {
  readonly dataset: string;
  /** Canonical strategy id (`lib/report/results.ts`). */
  readonly strategy: string;
  readonly repeat: number;
  /** The report budget of the checkpoint. */
  readonly budget: number;
  /** Substitute–target agreement on the attacked images, before any attack. */
  readonly agreement: number;
  readonly rows: readonly TransferRates[];
}

type Json = Record<string, unknown>;

function num(v: unknown, field: string, file: string): number {
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new TypeError(
      `Invalid "${file}": expected a number at "${field}", got ${JSON.stringify(v)}`,
    );
  }
  return v;
}

function rateOf(row: Json, key: string, file: string): number {
  const r = row[key] as Json | undefined;
  return num(r?.rate, `rows[].${key}.rate`, file);
}

/** Parses one transfer JSON; `null` when the document is not a transfer result. */
export function parseTransferRecord(doc: unknown, file: string): TransferRecord | null {
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) return null;
  const d = doc as Json;
  if (!Array.isArray(d.rows) || typeof d.denominators !== "object") return null;
  if (typeof d.dataset !== "string" || typeof d.strategy !== "string") {
    throw new TypeError(`Invalid "${file}": expected "dataset" and "strategy" strings`);
  }
  return {
    dataset: d.dataset,
    strategy: canonicalStrategy(d.strategy.replace(/-thesis-code$/, ":thesis-code")),
    repeat: num(d.repeat ?? 0, "repeat", file),
    budget: num(d.budget, "budget", file),
    agreement: num(d.agreement, "agreement", file),
    rows: (d.rows as Json[]).map((r) => ({
      attack: String(r.attack),
      eps: num(r.eps, "rows[].eps", file),
      transfer: rateOf(r, "transfer", file),
      white_box: rateOf(r, "white_box", file),
      ceiling: rateOf(r, "ceiling", file),
      floor: rateOf(r, "floor", file),
    })),
  };
}

/**
 * Every transfer result among `deps`: JSON files given directly, or lying directly in a dep
 * folder (the `transfer/` folder); other JSON files are skipped. Sorted by file name.
 */
export async function loadTransferResults(deps: readonly string[]): Promise<TransferRecord[]> {
  const files: string[] = [];
  for (const dep of deps) {
    let info: Deno.FileInfo;
    try {
      info = await Deno.stat(dep);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) continue;
      throw e;
    }
    if (info.isFile && dep.endsWith(".json")) files.push(dep);
    if (!info.isDirectory) continue;
    for await (const entry of Deno.readDir(dep)) {
      if (entry.isFile && entry.name.endsWith(".json")) files.push(join(dep, entry.name));
    }
  }
  const out: TransferRecord[] = [];
  for (const file of files.sort(compareStrings)) {
    const record = parseTransferRecord(JSON.parse(await Deno.readTextFile(file)), file);
    if (record !== null) out.push(record);
  }
  return out;
}

/** A record's transfer success averaged over its attacks and eps: one number per run. */
export function transferScore(record: TransferRecord, attack?: string): number {
  const rows = record.rows.filter((r) => attack === undefined || r.attack === attack);
  return rows.length === 0 ? 0 : rows.reduce((s, r) => s + r.transfer, 0) / rows.length;
}

/** One point of a transfer figure: mean, min and max over repeats. */
export interface TransferPoint {
  /** A strategy id, or `ceiling` / `floor`. */
  readonly series: string;
  readonly eps: number;
  readonly x: number;
  readonly mean: number;
  readonly min: number;
  readonly max: number;
  readonly n: number;
}

/**
 * Transfer success against the checkpoint's budget, per strategy and eps, for one dataset and
 * attack; plus the `ceiling` and `floor` series (averaged over every run at that budget, since
 * they do not depend on the substitute). Sorted by series, eps and x.
 */
export function transferCurve(
  records: readonly TransferRecord[],
  options: { dataset: string; attack: string },
): TransferPoint[] {
  const groups = new Map<string, { series: string; eps: number; x: number; v: number[] }>();
  const add = (series: string, eps: number, x: number, v: number) => {
    const key = JSON.stringify([series, eps, x]);
    const g = groups.get(key) ?? { series, eps, x, v: [] };
    g.v.push(v);
    groups.set(key, g);
  };
  for (const rec of records) {
    if (rec.dataset !== options.dataset) continue;
    for (const row of rec.rows) {
      if (row.attack !== options.attack) continue;
      add(rec.strategy, row.eps, rec.budget, row.transfer);
      add("ceiling", row.eps, rec.budget, row.ceiling);
      add("floor", row.eps, rec.budget, row.floor);
    }
  }
  return [...groups.values()].map((g) => ({
    series: g.series,
    eps: g.eps,
    x: g.x,
    ...summarize(g.v),
    n: g.v.length,
  })).sort((a, b) => compareStrings(a.series, b.series) || a.eps - b.eps || a.x - b.x);
}
