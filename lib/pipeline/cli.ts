/**
 * The `repro`, `status` and `dag` commands (behind `deno task repro|status|dag`).
 *
 * Exit codes: 0 success, 1 an instance failed (or `--check` found differences), 2 invalid
 * pipeline or usage, 3 workspace busy, 130 interrupted.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join, resolve } from "node:path";
import { analyzePipeline } from "./analyze.ts";
import { formatDiagnostic } from "./diagnostic.ts";
import { renderDagMermaid, renderDagText } from "./dag.ts";
import { reproduce, type ReproEvent, type ReproResult } from "./execute.ts";
import { readRecordedCosts } from "./costs.ts";
import { LockFileError, readLockFile } from "./lock_file.ts";
import { parseSetArg } from "./params.ts";
import { parseShard, selectInstances, type Selection } from "./plan.ts";
import { acquireProcessLock, WorkspaceBusyError } from "./process_lock.ts";
import { ConsoleReporter } from "./reporter.ts";
import {
  EXECUTOR_FLAGS,
  type ExecutorChoice,
  openExecutor,
  openScaleOut,
  SCALE_FLAGS,
  type ScaleOut,
} from "./scale_cli.ts";
import { computeStatus, type InstanceStatus } from "./status.ts";
import { killAllChildren } from "./children.ts";
import { readTimings, timingPath } from "./timing.ts";
import { estimateRemaining, formatDuration, formatEta, instanceCosts } from "./eta.ts";
import { drawSample, headCommit } from "./sample.ts";
import type { Graph } from "./graph.ts";
import { CommaPathError } from "./sandbox_args.ts";
import { openWorkspaceAt, saveWorkspaceState } from "./workspace.ts";
import type { ParamValue } from "./stage_context.ts";

/** Where the CLI writes; defaults to the process's stdout/stderr. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Whether stderr is a terminal (enables the progress bar). */
  readonly tty: boolean;
  /** Aborts a running repro (the CLI entry wires Ctrl-C to it). */
  readonly signal?: AbortSignal;
}

const encoder = new TextEncoder();

function writeAll(file: { writeSync(p: Uint8Array): number }, text: string): void {
  const bytes = encoder.encode(text);
  let off = 0;
  while (off < bytes.length) off += file.writeSync(bytes.subarray(off));
}

/** The default I/O: real stdout and stderr. */
export function processIo(signal?: AbortSignal): CliIo {
  return {
    stdout: (t) => writeAll(Deno.stdout, t),
    stderr: (t) => writeAll(Deno.stderr, t),
    tty: Deno.stderr.isTerminal(),
    ...(signal ? { signal } : {}),
  };
}

const USAGE = `Usage:
  repro [targets...] [--force] [--dry] [--downstream] [--jobs N] [--profile P] [--set key=value]
        [--pipeline FILE] [--cache DIR] [--json] [--check] [--shard i/n] [--wait]
        [--timeout SECONDS] [--max-instances N]
        [--check --sample K [--sample-seed S] [--sample-max-seconds S] [--sample-stages a,b]]
        [--remote s3://bucket/prefix] [--shard-wait SECONDS] [--executor local|slurm]
        [--slurm-partition P] [--slurm-account A] [--slurm-args "ARGS"] [--group-seconds S]
  status [targets...] [--json] [--profile P] [--set key=value] [--pipeline FILE] [--cache DIR]
  dag [--mermaid] [--profile P] [--pipeline FILE] [--max-instances N]`;

/** The flags that pick the pipeline file, profile and cache, and ask for JSON: every CLI's. */
export const WORKSPACE_FLAGS = {
  profile: { type: "string", short: "p" },
  pipeline: { type: "string" },
  cache: { type: "string" },
  json: { type: "boolean" },
} as const;

/** A usage or input problem: the message goes to stderr and the CLI exits with `code`. */
class CliExit extends Error {
  constructor(message: string, readonly code: number) {
    super(message);
  }
}

/** Runs `f`, turning any error it throws into a {@linkcode CliExit} with `code` (usage: 2). */
function orExit<T>(f: () => T, code = 2): T {
  try {
    return f();
  } catch (e) {
    throw e instanceof CliExit ? e : new CliExit((e as Error).message, code);
  }
}

/** Runs one CLI command; returns the exit code. */
export async function runCli(args: readonly string[], io: CliIo = processIo()): Promise<number> {
  try {
    return await runCommand(args, io);
  } catch (e) {
    if (!(e instanceof CliExit)) throw e;
    if (e.message) io.stderr(`${e.message}\n`);
    return e.code;
  }
}

/** The command line, parsed and checked. */
interface Command {
  readonly command: "repro" | "status" | "dag";
  readonly targets: string[];
  readonly v: Flags;
  readonly set: { key: string; value: ParamValue }[];
  readonly jobs?: number;
  readonly timeout?: number;
  readonly shard?: ReturnType<typeof parseShard>;
  readonly maxInstances?: number;
}

const OPTIONS = {
  ...WORKSPACE_FLAGS,
  force: { type: "boolean", short: "f" },
  dry: { type: "boolean" },
  downstream: { type: "boolean" },
  jobs: { type: "string", short: "j" },
  set: { type: "string", multiple: true },
  check: { type: "boolean" },
  shard: { type: "string" },
  wait: { type: "boolean" },
  timeout: { type: "string" },
  mermaid: { type: "boolean" },
  "max-instances": { type: "string" },
  sample: { type: "string" },
  "sample-seed": { type: "string" },
  "sample-max-seconds": { type: "string" },
  "sample-stages": { type: "string" },
  ...SCALE_FLAGS,
  ...EXECUTOR_FLAGS,
  help: { type: "boolean", short: "h" },
} as const;

function parseFlags(args: readonly string[]) {
  return parseArgs({ args: [...args], allowPositionals: true, options: OPTIONS });
}

/** The flags as `parseArgs` gives them. */
type Flags = ReturnType<typeof parseFlags>["values"];

function parseCommand(args: readonly string[]): Command {
  let parsed;
  try {
    parsed = parseFlags(args);
  } catch (e) {
    throw new CliExit(`${(e as Error).message}\n${USAGE}`, 2);
  }
  const { values: v, positionals } = parsed;
  const [command, ...targets] = positionals;
  if (v.help || !command) throw new CliExit(USAGE, v.help ? 0 : 2);
  if (command !== "repro" && command !== "status" && command !== "dag") {
    throw new CliExit(
      `Unknown command "${command}": expected "repro", "status" or "dag"\n${USAGE}`,
      2,
    );
  }
  return orExit(() => ({
    command,
    targets,
    v,
    set: (v.set ?? []).map(parseSetArg),
    ...optionalNumber(
      "max-instances",
      v["max-instances"],
      "maxInstances",
      isPositiveInt,
      "a positive integer",
    ),
    ...optionalNumber("jobs", v.jobs, "jobs", isPositiveInt, "a positive integer"),
    ...(v.shard !== undefined ? { shard: parseShard(v.shard) } : {}),
    ...optionalNumber(
      "timeout",
      v.timeout,
      "timeout",
      (n) => Number.isFinite(n) && n > 0,
      "a positive number of seconds",
    ),
  }));
}

const isPositiveInt = (n: number) => Number.isInteger(n) && n >= 1;

/** `{ [key]: number }` for a flag given as a valid number, `{}` when absent; else a RangeError. */
function optionalNumber(
  flag: string,
  raw: string | undefined,
  key: string,
  ok: (n: number) => boolean,
  expected: string,
): Record<string, number> {
  if (raw === undefined) return {};
  const n = Number(raw);
  if (!ok(n)) throw new RangeError(`Invalid --${flag} "${raw}": expected ${expected}`);
  return { [key]: n };
}

async function runCommand(args: readonly string[], io: CliIo): Promise<number> {
  const cmd = parseCommand(args);
  const { command, v } = cmd;
  const file = resolve(v.pipeline ?? "pipeline.yaml");
  const cacheDir = v.cache !== undefined ? resolve(v.cache) : undefined;
  const ws = openWorkspaceAt(file, cacheDir ? { cacheDir } : {});
  const graph = await loadGraph(cmd, file, ws);
  if (command === "dag") {
    saveWorkspaceState(ws);
    io.stdout(v.mermaid ? renderDagMermaid(graph) : renderDagText(graph));
    return 0;
  }
  try {
    readLockFile(ws.lockPath);
  } catch (e) {
    if (!(e instanceof LockFileError)) throw e;
    throw new CliExit(e.message, 2);
  }
  const { selection, sampleSkip } = selectFor(cmd, graph, ws, io);
  const offline = command === "status" || (v.dry ?? false);
  const log = (l: string) => io.stderr(`${l}\n`);
  const scale = orExit(() => openScaleOut(v, file, ws, selection, { ...io, log, offline }));
  for (const note of scale.notes) io.stderr(`${note}\n`);
  const force = v.force || v.check ? new Set(selection.targeted) : new Set<string>();

  if (command === "status" || v.dry) {
    const statuses = await computeStatus(graph, ws, { selected: selection.selected, force });
    saveWorkspaceState(ws);
    if (command === "status") printStatus(io, graph.profile, statuses, v.json ?? false);
    else {
      printDry(io, graph, ws, statuses, scale.awaited, {
        json: v.json ?? false,
        sharded: cmd.shard !== undefined,
        jobs: jobsOf(cmd.jobs),
      });
    }
    return 0;
  }
  const checkSkip = new Set([...scale.awaited, ...sampleSkip]);
  return await runRepro(cmd, args, io, { file, ws, graph, selection, scale, force, checkSkip });
}

/** Analyzes the pipeline for the command; an invalid one is a usage error (exit 2). */
async function loadGraph(
  cmd: Command,
  file: string,
  ws: ReturnType<typeof openWorkspaceAt>,
): Promise<Graph> {
  const analysis = await analyzePipeline(file, {
    ...(cmd.v.profile !== undefined ? { profile: cmd.v.profile } : {}),
    set: cmd.set,
    validationMemo: ws.validated,
    codeFiles: async (abs) => Object.keys((await ws.code.info(abs)).files),
    ...(cmd.maxInstances !== undefined ? { maxInstances: cmd.maxInstances } : {}),
    // dag draws the graph only: no stage module is loaded at all. status, --dry and repro
    // validate in read-only children (validate_child.ts); the runner never imports stage code.
    ...(cmd.command === "dag" ? { importModules: false } : {}),
  });
  if (!analysis.ok) {
    throw new CliExit(
      `${analysis.diagnostics.map(formatDiagnostic).join("\n")}\n` +
        `Invalid pipeline: ${analysis.diagnostics.length} problem(s); nothing ran`,
      2,
    );
  }
  return analysis.graph;
}

/** The instances the command covers (targets, `--downstream`, `--shard`, `--sample`). */
function selectFor(
  cmd: Command,
  graph: Graph,
  ws: ReturnType<typeof openWorkspaceAt>,
  io: CliIo,
): { selection: Selection; sampleSkip: Set<string> } {
  const { v, shard } = cmd;
  const selection = orExit(() =>
    selectInstances(graph, {
      targets: cmd.targets,
      ...(v.downstream ? { downstream: true } : {}),
      ...(shard ? { shard, costs: readRecordedCosts(ws.stateDir, graph.profile) } : {}),
    })
  );
  if (v.sample === undefined) return { selection, sampleSkip: new Set() };
  const drawn = sampleSelection(v, graph, ws, selection.targeted, shard !== undefined);
  if (typeof drawn === "string") {
    throw new CliExit(drawn, drawn.startsWith("--sample: pipeline.lock holds no") ? 1 : 2);
  }
  io.stderr(`${drawn.note}\n`);
  const drawnSel = selectInstances(graph, { targets: drawn.picked });
  // Only the drawn instances are recomputed; their upstream is up to date, restored or rerun.
  const sampleSkip = new Set(drawnSel.selected.filter((n) => !drawnSel.targeted.has(n)));
  return { selection: drawnSel, sampleSkip };
}

/** What `repro` runs with, besides the command line. */
interface ReproPlan {
  readonly file: string;
  readonly ws: ReturnType<typeof openWorkspaceAt>;
  readonly graph: Graph;
  readonly selection: Selection;
  readonly scale: ScaleOut;
  readonly force: Set<string>;
  readonly checkSkip: Set<string>;
}

/** `repro`: takes the workspace lock, runs, prints the result; returns the exit code. */
async function runRepro(
  cmd: Command,
  args: readonly string[],
  io: CliIo,
  plan: ReproPlan,
): Promise<number> {
  const { v } = cmd;
  const { ws, graph, selection, scale, force, checkSkip } = plan;
  if (ws.root.includes(",")) {
    throw new CliExit(new CommaPathError("workspace path", ws.root).message, 2);
  }
  const executor: ExecutorChoice = orExit(() =>
    openExecutor({ ...v, profile: graph.profile }, plan.file, ws, (l) => io.stderr(`${l}\n`))
  );
  const held = await takeWorkspace(ws, args, v.wait ?? false, io);
  try {
    const lineOut = v.json ? io.stderr : io.stdout;
    const runJobs = cmd.jobs ?? executor.jobs;
    const eta = await reporterEta(graph, ws, selection.selected, force, jobsOf(runJobs));
    const reporter = new ConsoleReporter({
      writeLine: (l) => lineOut(`${l}\n`),
      ...(io.tty ? { writeBar: io.stderr } : {}),
      total: selection.selected.length,
      ...(eta ? { eta } : {}),
    });
    const partial = cmd.targets.length > 0 || cmd.shard !== undefined || v.sample !== undefined;
    const t0 = performance.now();
    const result = await reproduce(graph, ws, {
      ...(partial ? { selected: selection.selected } : {}),
      force,
      ...(runJobs ? { jobs: runJobs } : {}),
      ...(cmd.timeout !== undefined ? { timeout: cmd.timeout } : {}),
      ...(v.check ? { check: true } : {}),
      ...(io.signal ? { signal: io.signal } : {}),
      onEvent: (e: ReproEvent) => reporter.handle(e),
      ...(scale.hooks ?? {}),
      ...(executor.runChild ? { runChild: executor.runChild } : {}),
      ...(checkSkip.size ? { checkSkip } : {}),
    });
    reporter.close();
    const secs = ((performance.now() - t0) / 1000).toFixed(2);
    printReproResult(io, lineOut, result, graph.profile, secs, scale, {
      check: v.check ?? false,
      json: v.json ?? false,
    });
    if (result.interrupted) {
      io.stderr("Interrupted: finished outs kept, partial outs discarded, pipeline.lock intact\n");
      return 130;
    }
    return result.failed.length || result.mismatched.length ? 1 : 0;
  } finally {
    held.release();
    heldLocks.delete(held);
  }
}

/** The workspace's `repro` lock (busy: exit 3), registered for a forced exit. */
async function takeWorkspace(
  ws: ReturnType<typeof openWorkspaceAt>,
  args: readonly string[],
  wait: boolean,
  io: CliIo,
) {
  let held;
  try {
    held = await acquireProcessLock(join(ws.stateDir, "repro.pid"), {
      command: `repro ${args.join(" ")}`.trim(),
      wait,
      onWait: (h) => io.stderr(`Waiting for process ${h.pid} (${h.command}) to finish...\n`),
    });
  } catch (e) {
    if (e instanceof WorkspaceBusyError) throw new CliExit(e.message, 3);
    throw e;
  }
  heldLocks.add(held);
  if (held.previous) {
    io.stderr(
      `Took over the lock of process ${held.previous.pid} (${held.previous.command}), which is ` +
        `gone; its children, if any, are stopped first\n`,
    );
  }
  return held;
}

/** A repro's summary lines (remote traffic, `--check` differences) and (`--json`) its lists. */
function printReproResult(
  io: CliIo,
  lineOut: (text: string) => void,
  result: ReproResult,
  profile: string,
  secs: string,
  scale: ScaleOut,
  o: { check: boolean; json: boolean },
): void {
  const summary =
    `${result.ran.length} ran, ${result.cached.length} cached, ${result.failed.length} failed, ` +
    `${result.skipped.length} skipped (profile "${profile}", ${secs} s)`;
  lineOut(`${summary}\n`);
  const moved = scale.hooks?.stats;
  if (scale.remote && moved) {
    lineOut(
      `remote ${scale.remote.url}: pushed ${moved.pushed.length}, pulled ${moved.pulled.length}` +
        (moved.pushFailed.length ? `, ${moved.pushFailed.length} push(es) failed` : "") + "\n",
    );
  }
  if (o.check) {
    for (const m of result.mismatched) lineOut(`outs differ from pipeline.lock: ${m}\n`);
    lineOut(
      result.mismatched.length
        ? `--check: ${result.mismatched.length} instance(s) differ from pipeline.lock\n`
        : `--check: all outs match pipeline.lock\n`,
    );
  }
  if (o.json) {
    const obj: Record<string, string[]> = {
      ran: result.ran,
      cached: result.cached,
      failed: result.failed,
      skipped: result.skipped,
    };
    if (o.check) obj.mismatched = result.mismatched;
    io.stdout(`${JSON.stringify(obj)}\n`);
  }
}

/** `status`: the stale instances and why, or (`--json`) every instance's state. */
function printStatus(
  io: CliIo,
  profile: string,
  statuses: readonly InstanceStatus[],
  json: boolean,
): void {
  if (json) {
    io.stdout(`${JSON.stringify({ profile, instances: statuses })}\n`);
  } else {
    const stale = statuses.filter((s) => s.state !== "up-to-date");
    for (const s of stale) {
      io.stdout(
        `${s.name}: ${s.state === "restore" ? "will restore from cache" : "will run"}\n`,
      );
      for (const r of s.reasons) io.stdout(`    ${r}\n`);
    }
    const noted = statuses.filter((s) => s.notes?.length);
    for (const s of noted) io.stdout(`${s.name}: up to date, ${s.notes!.join(", ")}\n`);
    const missing = noted.length ? ` (${noted.length} with large outs missing, restorable)` : "";
    // Progress by stage, for a grid that runs in pieces: `select 12/120`.
    const byStage = new Map<string, { done: number; all: number }>();
    for (const s of statuses) {
      const stage = s.name.split("@")[0]!;
      const c = byStage.get(stage) ?? { done: 0, all: 0 };
      c.all++;
      if (s.state === "up-to-date") c.done++;
      byStage.set(stage, c);
    }
    if (stale.length) {
      const parts = [...byStage].map(([stage, c]) => `${stage} ${c.done}/${c.all}`);
      io.stdout(`up to date by stage: ${parts.join(", ")}\n`);
    }
    io.stdout(
      `profile "${profile}": ${
        statuses.length - stale.length
      } up to date${missing}, ${stale.length} stale\n`,
    );
  }
}

/** `repro --dry`: what each instance would do, the estimates, and (`--json`) the lists. */
function printDry(
  io: CliIo,
  graph: Graph,
  ws: ReturnType<typeof openWorkspaceAt>,
  statuses: readonly InstanceStatus[],
  awaitedSet: ReadonlySet<string>,
  o: { json: boolean; sharded: boolean; jobs: number },
): void {
  const waits = (s: { name: string; state: string }) => s.state === "run" && awaitedSet.has(s.name);
  const awaited = statuses.filter(waits).map((s) => s.name);
  const ran = statuses.filter((s) => s.state === "run" && !waits(s)).map((s) => s.name);
  const cached = statuses.filter((s) => s.state !== "run").map((s) => s.name);
  const out = o.json ? io.stderr : io.stdout;
  for (const s of statuses) {
    out(
      `${
        waits(s)
          ? "would wait   "
          : s.state === "run"
          ? "would run    "
          : s.state === "restore"
          ? "would restore"
          : "up to date   "
      } ${s.name}\n`,
    );
  }
  if (ran.length) {
    const timings = readTimings(timingPath(ws.stateDir, graph.profile));
    const costs = instanceCosts(graph.instances, timings);
    out(`${etaLine(costs, ran)}\n`);
    const eta = estimateRemaining(graph.instances, new Set(ran), costs, o.jobs);
    out(`estimate: ${formatEta(eta)}\n`);
  }
  if (o.json) {
    const obj = { ran, cached, failed: [], skipped: [], ...(o.sharded ? { awaited } : {}) };
    io.stdout(`${JSON.stringify(obj)}\n`);
  }
}

/** The `--dry` sum: the stage seconds of what would run, from `instanceCosts`. */
function etaLine(costs: ReadonlyMap<string, number>, names: readonly string[]): string {
  const known = names.filter((n) => costs.has(n));
  const total = known.reduce((a, n) => a + costs.get(n)!, 0);
  const unknown = names.length - known.length;
  return `estimate: ~${total.toFixed(1)} s of stage time for ${known.length} of ${names.length} ` +
    `instance(s) that ran here before or whose stage did${
      unknown ? ` (${unknown} never did)` : ""
    }`;
}

/**
 * `--check --sample K`: draws K instances the lock holds (see `sample.ts`), or says why not
 * (a usage problem, or an empty lock: "--sample: pipeline.lock holds no ...").
 */
function sampleSelection(
  v: Record<string, unknown>,
  graph: Graph,
  ws: ReturnType<typeof openWorkspaceAt>,
  targeted: ReadonlySet<string>,
  sharded: boolean,
): { picked: string[]; note: string } | string {
  const k = Number(v.sample);
  if (!Number.isInteger(k) || k < 1) {
    return `Invalid --sample "${v.sample}": expected a positive integer`;
  }
  if (!v.check) {
    return "--sample needs --check: it recomputes a sample to compare with pipeline.lock";
  }
  if (sharded) return "--sample and --shard do not combine";
  const maxRaw = v["sample-max-seconds"];
  const maxSeconds = maxRaw === undefined ? undefined : Number(maxRaw);
  if (maxSeconds !== undefined && !(maxSeconds > 0)) {
    return `Invalid --sample-max-seconds "${maxRaw}": expected a positive number of seconds`;
  }
  const stagesRaw = v["sample-stages"] as string | undefined;
  const stages = stagesRaw?.split(",").map((x) => x.trim()).filter((x) => x);
  const unknown = stages?.find((st) => !graph.stages.includes(st));
  if (unknown) {
    return `Invalid --sample-stages: unknown stage "${unknown}" (expected one of ${
      graph.stages.map((x) => `"${x}"`).join(", ")
    })`;
  }
  const entries = readLockFile(ws.lockPath).profiles[graph.profile] ?? {};
  const candidates = graph.instances.filter((i) =>
    targeted.has(i.name) && Object.hasOwn(entries, i.name) &&
    (!stages || stages.includes(i.stage))
  ).map((i) => i.name);
  const where = stages ? ` of stage(s) ${stages.join(", ")}` : "";
  if (!candidates.length) {
    return `--sample: pipeline.lock holds no instances${where} of profile "${graph.profile}" ` +
      `to check; nothing was recomputed`;
  }
  const seed = (v["sample-seed"] as string | undefined) ?? headCommit(ws.root);
  if (seed === undefined) {
    return "--sample: no --sample-seed given and `git rev-parse HEAD` found no commit to seed by";
  }
  const costs = instanceCosts(graph.instances, readTimings(timingPath(ws.stateDir, graph.profile)));
  const picked = drawSample(candidates, k, seed, {
    costs,
    ...(maxSeconds !== undefined ? { maxSeconds } : {}),
  });
  const cost = (n: string) =>
    costs.has(n) ? ` (~${formatDuration(costs.get(n)!)} here before)` : "";
  return {
    picked,
    note: `--check --sample ${k}: recomputing ${picked.map((n) => n + cost(n)).join(", ")}, ` +
      `drawn from ${candidates.length} instance(s)${where} in pipeline.lock by seed ${seed}`,
  };
}

/** The executor's default worker count when `--jobs` is not given. */
function jobsOf(jobs: number | undefined): number {
  return Math.max(1, jobs ?? navigator.hardwareConcurrency ?? 1);
}

/** The reporter's estimate inputs: what `status` says will run, and the recorded costs. */
async function reporterEta(
  graph: Graph,
  ws: ReturnType<typeof openWorkspaceAt>,
  selected: readonly string[],
  force: ReadonlySet<string>,
  jobs: number,
) {
  const timings = readTimings(timingPath(ws.stateDir, graph.profile));
  const statuses = await computeStatus(graph, ws, { selected, force });
  const pending = new Set(statuses.filter((s) => s.state === "run").map((s) => s.name));
  // Nothing will run: no estimate. Nothing ran here before: it learns from this run.
  if (!pending.size) return undefined;
  const recorded = new Map(Object.entries(timings.instances).map(([n, r]) => [n, r.meanSeconds]));
  return { nodes: graph.instances, pending, costs: recorded, jobs };
}

/** Locks held by running commands: a forced exit (second Ctrl-C) releases them. */
const heldLocks = new Set<{ release(): void }>();

if (import.meta.main) {
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) {
      // A second Ctrl-C: no more grace. Kill the children's groups, release the lock, exit.
      killAllChildren();
      for (const h of heldLocks) h.release();
      Deno.exit(130);
    }
    controller.abort();
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  const code = await runCli(Deno.args, processIo(controller.signal));
  Deno.exit(code);
}
