/**
 * Reads the upstream stages' outs into a {@linkcode Results}. The figures and report stages get
 * their deps as paths (files or folders); this walks them and recognises:
 *
 * - a **run** (stage `select`): a folder with `trace.json` (rows of `TraceRow`) and, beside it,
 *   `summary.json` (or `run.json` / `metrics.json`) naming the run: `dataset`, `strategy`,
 *   `seeding`, `seed_clusters`, `seed_size`, `repeat` and optionally `experiment` (`seeding` |
 *   `select` | `seed_size`). Missing `experiment` is taken from the path (`seed_size` or
 *   `seed-size` in it: Fig. 6), else `select`.
 * - a **seeding run** (stage `seeding`, Fig. 2): `seeding.json`, `{dataset, repeat, seeding,
 *   seed_clusters, results: [{seed_size, queries, test_accuracy, agreement, seed_entropy}]}`;
 *   each result becomes a one-round run of experiment `seeding`, series `random` or `cluster-N`.
 * - a **stopping evaluation** (stage `stopping`): `stopping.json`, `{runs: [{dataset, repeat,
 *   strategy, source, final_queries, final_test_accuracy, results: [StoppingResult]}]}` (also
 *   accepted: `{dataset, repeat, results}` or a bare list of rows). A rule that never fired is
 *   read at the end of its run (the trace named by `source` when it is among the deps), as the
 *   thesis's runs simply ended there; `stopped` stays false.
 * - a **target**: `metrics.json` with `test_accuracy` and `dataset` and no `trace.json` beside it.
 * - a **pool_bug run** (stage `pool_bug`): `pool_bug.json`, `{pool, target_dataset, pool_size,
 *   test_size, test_accuracy, target_test_accuracy, agreement, epochs, batch, lr, labels}`.
 *
 * @module
 */

import { join } from "node:path";
import type { TraceRow } from "../active/trace.ts";
import type {
  Experiment,
  PoolBugResult,
  Results,
  RunResult,
  StopResult,
  TargetResult,
} from "./results.ts";
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
  const run: RunResult = {
    experiment,
    dataset: str(meta.dataset, "dataset", file),
    series,
    seed_size: num(seedSize, "seed_size", file),
    repeat: num(meta.repeat ?? 0, "repeat", file),
    trace,
  };
  if (meta.target_test_accuracy !== undefined) {
    run.target_test_accuracy = num(meta.target_test_accuracy, "target_test_accuracy", file);
  }
  return run;
}

function poolBugFrom(doc: Json, file: string): PoolBugResult {
  return {
    pool: str(doc.pool, "pool", file),
    target_dataset: str(doc.target_dataset, "target_dataset", file),
    pool_size: num(doc.pool_size, "pool_size", file),
    test_size: num(doc.test_size, "test_size", file),
    test_accuracy: num(doc.test_accuracy, "test_accuracy", file),
    target_test_accuracy: num(doc.target_test_accuracy, "target_test_accuracy", file),
    agreement: num(doc.agreement, "agreement", file),
    epochs: num(doc.epochs, "epochs", file),
    batch: num(doc.batch, "batch", file),
    lr: num(doc.lr, "lr", file),
    labels: str(doc.labels, "labels", file),
  };
}

/** The one-round runs of a `seeding.json` (stage `seeding`). */
function seedingRuns(doc: Json, file: string): RunResult[] {
  const results = doc.results;
  if (!Array.isArray(results)) {
    throw new TypeError(`Invalid "${file}": expected "results", a list of seed sizes`);
  }
  const method = str(doc.seeding ?? "random", "seeding", file);
  const [base = "", ...variant] = method.split(":");
  const series = base === "random"
    ? method
    : [`${base}-${num(doc.seed_clusters ?? 10, "seed_clusters", file)}`, ...variant].join(":");
  return (results as Json[]).map((r) => {
    const size = num(r.seed_size, "seed_size", file);
    return {
      experiment: "seeding" as const,
      dataset: str(doc.dataset, "dataset", file),
      series,
      seed_size: size,
      repeat: num(doc.repeat ?? 0, "repeat", file),
      trace: [{
        round: 0,
        queries: num(r.queries ?? size, "queries", file),
        test_accuracy: num(r.test_accuracy, "test_accuracy", file),
        agreement: num(r.agreement, "agreement", file),
        batch_entropy: typeof r.seed_entropy === "number" ? r.seed_entropy : null,
        stopping_entropy: 0,
        kappa: null,
      }],
    };
  });
}

/** A stopping file's row, with where it came from (placed once every run is read). */
interface StopRow {
  file: string;
  dataset: string;
  repeat: number;
  strategy: string;
  group: Json;
  row: Json;
}

/** What the folders gave so far. */
interface Found {
  runs: RunResult[];
  stopRows: StopRow[];
  targets: TargetResult[];
  poolBug: PoolBugResult[];
  traceBySource: Map<string, RunResult>;
}

/** Reads every run, stopping evaluation and target found under `deps`. */
export async function loadResults(deps: readonly string[]): Promise<Results> {
  const folders = new Set<string>();
  for (const dep of deps) for (const f of await foldersUnder(dep)) folders.add(f);
  const found: Found = {
    runs: [],
    stopRows: [],
    targets: [],
    poolBug: [],
    traceBySource: new Map(),
  };
  for (const folder of [...folders].sort(compareStrings)) await readFolder(folder, found);
  const { runs, targets, poolBug } = found;
  const stops = found.stopRows.flatMap((r) => placeStop(r, found) ?? []);
  stops.sort((a, b) =>
    compareStrings(a.dataset, b.dataset) || compareStrings(a.rule, b.rule) ||
    compareStrings(a.strategy ?? "", b.strategy ?? "") || a.alpha - b.alpha || a.repeat - b.repeat
  );
  runs.sort((a, b) =>
    compareStrings(a.experiment, b.experiment) || compareStrings(a.dataset, b.dataset) ||
    compareStrings(a.series, b.series) || a.seed_size - b.seed_size || a.repeat - b.repeat
  );
  targets.sort((a, b) => compareStrings(a.dataset, b.dataset));
  poolBug.sort((a, b) =>
    compareStrings(a.target_dataset, b.target_dataset) || compareStrings(a.pool, b.pool)
  );
  return poolBug.length > 0
    ? { targets, runs, stops, pool_bug: poolBug }
    : { targets, runs, stops };
}

/** Reads one folder's run (trace), target (metrics), pool_bug, seeding and stopping files. */
async function readFolder(folder: string, found: Found): Promise<void> {
  const tracePath = join(folder, "trace.json");
  const metricsPath = join(folder, "metrics.json");
  const trace = await readJson(tracePath);
  const metrics = await readJson(metricsPath) as Json | undefined;
  if (trace !== undefined) {
    if (!Array.isArray(trace)) {
      throw new TypeError(`Invalid trace "${tracePath}": expected a list of rows`);
    }
    const meta = (await readJson(join(folder, "summary.json")) as Json | undefined) ??
      (await readJson(join(folder, "run.json")) as Json | undefined) ?? metrics;
    if (!meta) {
      throw new TypeError(
        `Missing run description beside "${tracePath}": expected metrics.json or run.json`,
      );
    }
    const run = runFrom(meta, trace as TraceRow[], folder, tracePath);
    found.runs.push(run);
    found.traceBySource.set(tracePath, run);
  } else if (metrics && typeof metrics.test_accuracy === "number" && metrics.dataset) {
    found.targets.push(targetFrom(metrics, metricsPath));
  }
  const bugPath = join(folder, "pool_bug.json");
  const bug = await readJson(bugPath) as Json | undefined;
  if (bug !== undefined) found.poolBug.push(poolBugFrom(bug, bugPath));
  const seedPath = join(folder, "seeding.json");
  const seeding = await readJson(seedPath) as Json | undefined;
  if (seeding !== undefined) found.runs.push(...seedingRuns(seeding, seedPath));
  const stopPath = join(folder, "stopping.json");
  const stopping = await readJson(stopPath);
  if (stopping !== undefined) found.stopRows.push(...stopRowsOf(stopping, stopPath));
}

function targetFrom(metrics: Json, metricsPath: string): TargetResult {
  const t: TargetResult = {
    dataset: str(metrics.dataset, "dataset", metricsPath),
    test_accuracy: metrics.test_accuracy as number,
  };
  const size = metrics.test_samples ?? metrics.test_size;
  if (typeof size === "number") t.test_size = size;
  const train = metrics.train_samples ?? metrics.train_size;
  if (typeof train === "number") t.train_size = train;
  return t;
}

/** The rows of a `stopping.json` (a list, one group, or `{runs: [...]}`). */
function stopRowsOf(stopping: unknown, stopPath: string): StopRow[] {
  const groups: Json[] = Array.isArray(stopping)
    ? [{ results: stopping }]
    : Array.isArray((stopping as Json).runs)
    ? (stopping as Json).runs as Json[]
    : [stopping as Json];
  const out: StopRow[] = [];
  for (const group of groups) {
    const rows = group.results;
    if (!Array.isArray(rows)) {
      throw new TypeError(`Invalid "${stopPath}": expected runs with a "results" list`);
    }
    for (const row of rows as Json[]) {
      out.push({
        file: stopPath,
        dataset: str(row.dataset ?? group.dataset, "dataset", stopPath),
        repeat: num(row.repeat ?? group.repeat ?? 0, "repeat", stopPath),
        strategy: canonicalStrategy(String(row.strategy ?? group.strategy ?? "entropy")),
        group,
        row,
      });
    }
  }
  return out;
}

/**
 * Where a stopping row stopped: its own queries and accuracy, or for a rule that never fired
 * the end of its run; `undefined` when that end is unknown (it cannot be placed).
 */
function placeStop(stop: StopRow, found: Found): StopResult | undefined {
  const { file, dataset, repeat, strategy, group, row } = stop;
  const stopped = row.stopped !== false;
  let queries = row.queries as number | null | undefined;
  let acc = row.test_accuracy as number | null | undefined;
  let agr = row.agreement as number | null | undefined;
  if (!stopped || queries === null || queries === undefined) {
    const run =
      (typeof group.source === "string" ? found.traceBySource.get(group.source) : undefined) ??
        found.runs.find((r) =>
          r.dataset === dataset && r.repeat === repeat && r.series === strategy &&
          r.experiment === "select"
        );
    const last = run?.trace[run.trace.length - 1];
    queries = last?.queries ?? (group.final_queries as number | null | undefined);
    acc = last?.test_accuracy ?? (group.final_test_accuracy as number | null | undefined);
    agr = last?.agreement;
  }
  if (typeof queries !== "number" || typeof acc !== "number" || typeof agr !== "number") {
    return undefined;
  }
  return {
    dataset,
    alpha: num(row.threshold ?? row.alpha, "threshold", file),
    rule: str(row.rule, "rule", file),
    strategy,
    repeat,
    stopped,
    queries,
    test_accuracy: acc,
    agreement: agr,
  };
}
