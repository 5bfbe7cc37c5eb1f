/**
 * Serialising a trace: `trace.json` (an array of rows, keys in column order) and `trace.csv`
 * (header {@linkcode TRACE_COLUMNS}, empty cells for `null`). Numbers are written with
 * JavaScript's shortest round-trip form, so the same trace always gives the same bytes.
 *
 * @module
 */

import { TRACE_COLUMNS, type TraceRow } from "./trace.ts";

/**
 * The trace as CSV text, one line per round, ending in a newline.
 *
 * @example Usage
 * ```ts
 * import { traceToCsv } from "./trace_io.ts";
 * const csv = traceToCsv([{
 *   round: 0, queries: 10, test_accuracy: 0.5, agreement: 0.5,
 *   batch_entropy: 1, stopping_entropy: 1, kappa: null,
 * }]);
 * console.assert(csv.split("\n")[1] === "0,10,0.5,0.5,1,1,");
 * ```
 */
export function traceToCsv(rows: readonly TraceRow[]): string {
  const lines = [TRACE_COLUMNS.join(",")];
  for (const row of rows) {
    lines.push(TRACE_COLUMNS.map((c) => (row[c] === null ? "" : String(row[c]))).join(","));
  }
  return lines.join("\n") + "\n";
}

/** The trace as JSON text (2-space indent, keys in column order, trailing newline). */
export function traceToJson(rows: readonly TraceRow[]): string {
  const ordered = rows.map((row) => Object.fromEntries(TRACE_COLUMNS.map((c) => [c, row[c]])));
  return JSON.stringify(ordered, null, 2) + "\n";
}

/**
 * Parses `trace.json` text back into rows, checking every column.
 *
 * @throws {TypeError} naming `source`, the row and the column at fault.
 */
export function parseTraceJson(text: string, source = "trace.json"): TraceRow[] {
  const data: unknown = JSON.parse(text);
  if (!Array.isArray(data)) {
    throw new TypeError(`Invalid trace in "${source}": expected an array of rows`);
  }
  const nullable = new Set(["batch_entropy", "kappa"]);
  return data.map((row, i) => {
    if (typeof row !== "object" || row === null) {
      throw new TypeError(`Invalid trace in "${source}" at row ${i}: expected an object`);
    }
    const r = row as Record<string, unknown>;
    for (const c of TRACE_COLUMNS) {
      const v = r[c];
      const ok = typeof v === "number" || (v === null && nullable.has(c));
      if (!ok) {
        throw new TypeError(
          `Invalid trace in "${source}" at row ${i}, column "${c}": expected a number${
            nullable.has(c) ? " or null" : ""
          }, got ${JSON.stringify(v)}`,
        );
      }
    }
    return Object.fromEntries(TRACE_COLUMNS.map((c) => [c, r[c]])) as unknown as TraceRow;
  });
}
