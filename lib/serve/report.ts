/**
 * "What an attack looked like": an access log summarised per key (requests, images answered,
 * refusals by status, first and last request, busiest time bucket) and as queries over time per
 * key, a table and a Vega-Lite chart. Pure functions of the log's entries.
 *
 * @module
 */

import type { VlSpec } from "../report/specs.ts";
import type { AccessEntry } from "./access_log.ts";

/** One key's totals. */
export interface KeySummary {
  /** The key id, or `(none)` for unauthenticated requests. */
  readonly key: string;
  readonly requests: number;
  /** Images answered (spent). */
  readonly images: number;
  /** Requests by HTTP status, e.g. `{"200": 10, "429": 2}`. */
  readonly statuses: Readonly<Record<string, number>>;
  readonly first: string;
  readonly last: string;
  /** Most images answered in one bucket. */
  readonly peak_images_per_bucket: number;
}

/** Images and requests of one key in one time bucket. */
export interface BucketPoint {
  readonly key: string;
  /** Seconds from the log's first request to the bucket's start. */
  readonly t: number;
  readonly requests: number;
  readonly images: number;
  /** Images answered up to the end of this bucket. */
  readonly cumulative: number;
}

/** The summary of a log. */
export interface AttackSummary {
  readonly bucket_seconds: number;
  readonly start: string | null;
  readonly keys: KeySummary[];
  readonly series: BucketPoint[];
}

const NONE = "(none)";

/** Summarises entries into per-key totals and per-bucket series (buckets of `bucketSeconds`). */
export function summariseLog(entries: readonly AccessEntry[], bucketSeconds = 1): AttackSummary {
  if (!(bucketSeconds > 0)) {
    throw new RangeError(
      `Invalid bucket: expected a positive number of seconds, got ${bucketSeconds}`,
    );
  }
  if (entries.length === 0) {
    return { bucket_seconds: bucketSeconds, start: null, keys: [], series: [] };
  }
  const times = entries.map((e) => Date.parse(e.time));
  const t0 = Math.min(...times);
  const perKey = new Map<string, { entries: AccessEntry[]; times: number[] }>();
  entries.forEach((e, i) => {
    const k = e.key ?? NONE;
    const slot = perKey.get(k) ?? { entries: [], times: [] };
    slot.entries.push(e);
    slot.times.push(times[i]!);
    perKey.set(k, slot);
  });
  const keys: KeySummary[] = [];
  const series: BucketPoint[] = [];
  for (const key of [...perKey.keys()].sort()) {
    const { entries: es, times: ts } = perKey.get(key)!;
    const statuses: Record<string, number> = {};
    const buckets = new Map<number, { requests: number; images: number }>();
    es.forEach((e, i) => {
      statuses[String(e.status)] = (statuses[String(e.status)] ?? 0) + 1;
      const b = Math.floor((ts[i]! - t0) / 1000 / bucketSeconds);
      const slot = buckets.get(b) ?? { requests: 0, images: 0 };
      slot.requests++;
      slot.images += e.images;
      buckets.set(b, slot);
    });
    let cumulative = 0;
    let peak = 0;
    for (const b of [...buckets.keys()].sort((x, y) => x - y)) {
      const slot = buckets.get(b)!;
      cumulative += slot.images;
      peak = Math.max(peak, slot.images);
      series.push({ key, t: b * bucketSeconds, ...slot, cumulative });
    }
    keys.push({
      key,
      requests: es.length,
      images: cumulative,
      statuses,
      first: new Date(Math.min(...ts)).toISOString(),
      last: new Date(Math.max(...ts)).toISOString(),
      peak_images_per_bucket: peak,
    });
  }
  return { bucket_seconds: bucketSeconds, start: new Date(t0).toISOString(), keys, series };
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) => cells.map((s, c) => s.padEnd(widths[c]!)).join("  ").trimEnd();
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n") + "\n";
}

/** Queries over time: one row per key and non-empty bucket, in time order. */
export function formatSeriesTable(summary: AttackSummary): string {
  const points = [...summary.series].sort((a, b) => a.t - b.t || (a.key < b.key ? -1 : 1));
  return table(
    ["t (s)", "key", "requests", "images", "cumulative"],
    points.map((p) => [
      String(p.t),
      p.key,
      String(p.requests),
      String(p.images),
      String(p.cumulative),
    ]),
  );
}

/** The per-key table as fixed-width text. */
export function formatSummaryTable(summary: AttackSummary): string {
  const head = ["key", "requests", "images", "statuses", "first", "last", "peak/bucket"];
  return table(
    head,
    summary.keys.map((k) => [
      k.key,
      String(k.requests),
      String(k.images),
      Object.entries(k.statuses).map(([s, n]) => `${s}:${n}`).join(" "),
      k.first,
      k.last,
      String(k.peak_images_per_bucket),
    ]),
  );
}

/** Vega-Lite: images answered over time (cumulative), one line per key. */
export function attackSpec(summary: AttackSummary): VlSpec {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: `Queries over time per key (buckets of ${summary.bucket_seconds} s)`,
    width: 480,
    height: 240,
    data: { values: summary.series.map((p) => ({ key: p.key, t: p.t, images: p.cumulative })) },
    mark: { type: "line", point: true, interpolate: "step-after" },
    encoding: {
      x: { field: "t", type: "quantitative", title: "Seconds since the first request" },
      y: { field: "images", type: "quantitative", title: "Images answered (cumulative)" },
      color: { field: "key", type: "nominal", title: "Key" },
    },
  };
}
