/**
 * Reads the upstream stages' outs into a {@linkcode Results}. The figures and report stages get
 * their deps as paths (files or folders); this walks them and recognises:
 *
 * - a **run**: a folder with `trace.json` (rows of `TraceRow`) and, beside it, `metrics.json` or
 *   `run.json` naming the run: `dataset`, `strategy`, `seeding` (`random` | `cluster`),
 *   `seed_clusters`, `seed_size`, `repeat` and optionally `experiment` (`seeding` | `select` |
 *   `seed_size`). Missing `experiment` is taken from the path (`seeding`, `seed_size` or
 *   `seed-size` in it), else `select`.
 * - a **stopping evaluation**: `stopping.json`, either `{dataset, repeat, results: [...]}` or a
 *   list of rows, each row a `StoppingResult` of `lib/active/stopping.ts` (`rule`, `threshold`,
 *   `stopped`, `queries`, `test_accuracy`, `agreement`) plus `dataset` and `repeat` when the file
 *   has none. A rule that never fired is read at the end of the run's trace when the trace is
 *   among the deps (same dataset and repeat), as the thesis's runs simply ended there.
 * - a **target**: `metrics.json` with `test_accuracy` and `dataset` and no `trace.json` beside it.
 *
 * @module
 */

import { join } from "node:path";
import type { TraceRow } from "../active/trace.ts";
import type { Experiment, Results, RunResult, StopResult, TargetResult } from "./results.ts";
import { canonicalStrategy } from "./results.ts";
import { compareStrings } from "./aggregate.ts";

type Json = Record<string, unknown>;

async function readJson(path: string): Promise<unknown | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(path));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw new SyntaxError(`Invalid JSON in "${path}": ${(e as Error).message}`);
  }
}

/** Every folder at or under `path` (a file's own folder when `path` is a file), sorted. */
async function foldersUnder(path: string): Promise<string[]> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new RangeError(`Missing dep "${path}": expected a file or folder`);
    }
    throw e;
  }
  if (info.isFile) return [path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "."];
  const out = [path.replace(/\/$/, "")];
  const entries: string[] = [];
  for await (const e of Deno.readDir(path)) if (e.isDirectory) entries.push(e.name);
  entries.sort(compareStrings);
  for (const name of entries) out.push(...await foldersUnder(join(path, name)));
  return out;
}

function num(v: unknown, what: string, file: string): number {
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new TypeError(
      `Invalid "${what}" in "${file}": expected a number, got ${JSON.stringify(v)}`,
    );
  }
  return v;
}

function str(v: unknown, what: string, file: string): string {
  if (typeof v !== "string" || v === "") {
    throw new TypeError(
      `Invalid "${what}" in "${file}": expected a string, got ${JSON.stringify(v)}`,
    );
  }
  return v;
}

function experimentOf(meta: Json, folder: string): Experiment {
  const e = meta.experiment;
  if (e === "seeding" || e === "select" || e === "seed_size") return e;
  if (e === "seed-size") return "seed_size";
  if (/(^|[/_-])seed[-_]?size/.test(folder)) return "seed_size";
  if (/(^|\/)seeding/.test(folder)) return "seeding";
  return "select";
}

function runFrom(meta: Json, trace: TraceRow[], folder: string, file: string): RunResult {
  const experiment = experimentOf(meta, folder);
  const seeding = typeof meta.seeding === "string" ? meta.seeding : "random";
  const clusters = meta.seed_clusters ?? meta.clusters;
  const series = experiment === "seeding"
    ? (seeding.startsWith("cluster")
      ? `cluster-${num(clusters ?? 10, "seed_clusters", file)}`
      : seeding)
    : canonicalStrategy(str(meta.strategy ?? "random", "strategy", file));
  const seedSize = meta.seed_size ?? trace[0]?.queries;
  return {
    experiment,
    dataset: str(meta.dataset, "dataset", file),
    series,
    seed_size: num(seedSize, "seed_size", file),
    repeat: num(meta.repeat ?? 0, "repeat", file),
    trace,
  };
}

/** Reads every run, stopping evaluation and target found under `deps`. */
export async function loadResults(deps: readonly string[]): Promise<Results> {
  const folders = new Set<string>();
  for (const dep of deps) for (const f of await foldersUnder(dep)) folders.add(f);
  const runs: RunResult[] = [];
  const stopRows: { file: string; dataset: string; repeat: number; row: Json }[] = [];
  const targets: TargetResult[] = [];
  for (const folder of [...folders].sort(compareStrings)) {
    const tracePath = join(folder, "trace.json");
    const metricsPath = join(folder, "metrics.json");
    const trace = await readJson(tracePath);
    const metrics = await readJson(metricsPath) as Json | undefined;
    if (trace !== undefined) {
      if (!Array.isArray(trace)) {
        throw new TypeError(`Invalid trace "${tracePath}": expected a list of rows`);
      }
      const meta = (await readJson(join(folder, "run.json")) as Json | undefined) ?? metrics;
      if (!meta) {
        throw new TypeError(
          `Missing run description beside "${tracePath}": expected metrics.json or run.json`,
        );
      }
      runs.push(runFrom(meta, trace as TraceRow[], folder, tracePath));
    } else if (metrics && typeof metrics.test_accuracy === "number" && metrics.dataset) {
      const t: TargetResult = {
        dataset: str(metrics.dataset, "dataset", metricsPath),
        test_accuracy: metrics.test_accuracy,
      };
      const size = metrics.test_samples ?? metrics.test_size;
      if (typeof size === "number") t.test_size = size;
      targets.push(t);
    }
    const stopPath = join(folder, "stopping.json");
    const stopping = await readJson(stopPath);
    if (stopping !== undefined) {
      const base = (Array.isArray(stopping) ? {} : stopping) as Json;
      const rows = (Array.isArray(stopping) ? stopping : base.results) as Json[] | undefined;
      if (!Array.isArray(rows)) {
        throw new TypeError(`Invalid "${stopPath}": expected a list or an object with "results"`);
      }
      for (const row of rows) {
        stopRows.push({
          file: stopPath,
          dataset: str(row.dataset ?? base.dataset, "dataset", stopPath),
          repeat: num(row.repeat ?? base.repeat ?? 0, "repeat", stopPath),
          row,
        });
      }
    }
  }
  const stops: StopResult[] = stopRows.map(({ file, dataset, repeat, row }) => {
    const stopped = row.stopped !== false;
    let queries = row.queries as number | null;
    let acc = row.test_accuracy as number | null;
    let agr = row.agreement as number | null;
    if (!stopped || queries === null || queries === undefined) {
      const run = runs.find((r) =>
        r.dataset === dataset && r.repeat === repeat && r.series === "entropy" &&
        r.experiment !== "seeding"
      );
      const last = run?.trace[run.trace.length - 1];
      queries = last?.queries ?? null;
      acc = last?.test_accuracy ?? null;
      agr = last?.agreement ?? null;
    }
    return {
      dataset,
      alpha: num(row.threshold ?? row.alpha, "threshold", file),
      rule: str(row.rule, "rule", file),
      repeat,
      stopped,
      queries: queries ?? NaN,
      test_accuracy: acc ?? NaN,
      agreement: agr ?? NaN,
    };
  }).filter((s) => Number.isFinite(s.queries));
  runs.sort((a, b) =>
    compareStrings(a.experiment, b.experiment) || compareStrings(a.dataset, b.dataset) ||
    compareStrings(a.series, b.series) || a.seed_size - b.seed_size || a.repeat - b.repeat
  );
  targets.sort((a, b) => compareStrings(a.dataset, b.dataset));
  return { targets, runs, stops };
}
