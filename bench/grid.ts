/**
 * `deno task bench grid [--jobs J] [--json] [--pipeline FILE] [--profile NAME] [--ghz G]`: the thesis
 * grid's clock. Measures, in J processes at once (one per core, one wasm thread each, as
 * `repro --jobs J` runs them), what one paper-scale round of active learning costs: scoring the
 * 60k pool, the oracle answering 1k, training on 1k (batch 32) and testing on 10k (plus the 1k
 * stopping set), each selection strategy once, DeepFool (DFAL's scoring) and a PGD step (an input
 * gradient, the transfer attacks' unit) per image on the trained LeNet, and a batch-1 fit
 * (pool_bug's); then counts, from the profile's instances (`analyzePipeline`,
 * `bench/grid_work.ts`), the images every stage predicts, trains on and attacks, and projects
 * the profile's wall time at `--jobs J`, with its core-hours by part. Defaults: `--jobs 2`, the
 * repository's `pipeline.yaml`, profile `paper`. Synthetic images: the kernels' speed does not
 * depend on pixel values, but DeepFool's step count does (it is printed; real pool images may
 * take more or fewer steps). It also projects the grid at the arithmetic floor
 * (`bench/grid_floor.ts`: the model's multiply-adds at the core's peak without fused multiply-add,
 * at the clock `--ghz` gives, else as measured), the bound for kernels that do every multiply-add.
 *
 * Not counted: {@linkcode NOT_COUNTED}.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { analyzePipeline, type Instance } from "../lib/pipeline/mod.ts";
import { createProbs, select, type StrategyName } from "../lib/active/mod.ts";
import { type AttackModel, deepfool, pgd } from "../lib/adversarial/mod.ts";
import { createClassifier, initBackend, LENET } from "../lib/ml/mod.ts";
import { makeData } from "./train.ts";
import { type Load, loadNow, loadSince } from "./_stats.ts";
import { instanceWork, inThesisGrid, POOL, TEST, type Work } from "./grid_work.ts";
import {
  clockFromCpuinfo,
  floorCosts,
  forwardMacs,
  MACS_PER_CYCLE,
  measureClockHz,
} from "./grid_floor.ts";

export {
  COUNTED_STAGES,
  instanceWork,
  inThesisGrid,
  POOL,
  TEST,
  THESIS_STRATEGIES,
  type Work,
} from "./grid_work.ts";

/** Per-image costs measured in one process, seconds. */
export interface Costs {
  /** `predictProba`, per image (batches of 512). */
  infer: number;
  /** `fit`, per sample, batch 1 (pool_bug's), 32 (the substitute's) and 64 (the target's). */
  train1: number;
  train32: number;
  train64: number;
  /** DeepFool per image at the profile's step cap, on the substitute after a round's training. */
  deepfool: number;
  /** Mean steps DeepFool took per image in that measurement. */
  deepfoolSteps: number;
  /** One input gradient per image: a PGD step, batches of 256. */
  grad: number;
  /** One selection of 1k from a 60k pool with 10k queried, per strategy. */
  select: Record<string, number>;
}

const seconds = (t0: number) => (performance.now() - t0) / 1000;

/** Tiles the benchmark's 2048 synthetic images into `n`. */
function images(n: number): Float32Array {
  const base = makeData(2048, 1).x;
  const out = new Float32Array(n * 784);
  for (let i = 0; i < n; i += 2048) out.set(base.subarray(0, Math.min(2048, n - i) * 784), i * 784);
  return out;
}

/** Pool rows queried before the timed selection: a mid-run round of the paper grid. */
const QUERIED = 10000;

/**
 * Times one selection of `k` per strategy on `rows` random-ish probabilities, the first
 * {@linkcode QUERIED} rows queried (k-center's first centres). The DFAL strategies get DeepFool
 * norms on `dfalSubsample` of the open rows (Infinity elsewhere), as the loop gives them.
 */
function timeSelections(
  strategies: readonly string[],
  rows: number,
  k: number,
  dfalSubsample: number,
) {
  const data = new Float32Array(rows * 10).map((_, i) => ((i * 2654435761) % 1000) / 1000 + 0.01);
  for (let r = 0; r < rows; r++) {
    const row = data.subarray(r * 10, r * 10 + 10);
    const sum = row.reduce((a, b) => a + b, 0);
    row.forEach((v, j) => (row[j] = v / sum));
  }
  const probs = createProbs(data, 10);
  const answers = createProbs(data.slice(0, QUERIED * 10), 10);
  const queried = new Set(Array.from({ length: QUERIED }, (_, i) => i));
  const every = Math.max(1, Math.floor((rows - QUERIED) / dfalSubsample));
  const perturbations = new Float64Array(rows).map((_, r) =>
    r >= QUERIED && (r - QUERIED) % every === 0 ? ((r * 40503) % 997) / 100 : Infinity
  );
  const out: Record<string, number> = {};
  for (const name of strategies) {
    const t0 = performance.now();
    select(name as StrategyName, { probs, queried, answers, perturbations }, {
      k,
      seed: 1,
      clusters: 10,
    });
    out[name] = seconds(t0);
  }
  return out;
}

/** Options of {@linkcode measureCosts}, from the profile. */
export interface MeasureOptions {
  strategies: readonly string[];
  /** DeepFool's step cap (`active.deepfool_steps`). */
  deepfoolSteps: number;
  /** DFAL's subsample per round (`active.dfal_subsample`), for the timed DFAL selections. */
  dfalSubsample: number;
}

/** Per-sample seconds of one epoch of `model.fit` on `n` samples at `batchSize`. */
async function timeFit(
  model: ReturnType<typeof createClassifier>,
  x: Float32Array,
  y: Int32Array,
  n: number,
  batchSize: number,
): Promise<number> {
  const t0 = performance.now();
  await model.fit(x.subarray(0, n * 784), y.subarray(0, n), { epochs: 1, batchSize });
  return seconds(t0) / n;
}

/** DeepFool and PGD-step costs per image on `model` (256 pool images). */
function timeAttacks(model: ReturnType<typeof createClassifier>, x: Float32Array, steps: number) {
  const net: AttackModel = { input: LENET.input, classes: 10, logits: model.logits };
  const n = 256;
  const batch = x.subarray(0, n * 784);
  let t0 = performance.now();
  const df = deepfool(net, batch, { maxSteps: steps });
  const perImage = seconds(t0) / n;
  const labels = new Int32Array(n).map((_, i) => i % 10);
  t0 = performance.now();
  pgd(net, batch, { eps: 0.1, steps: 10, seed: 0, labels });
  const grad = seconds(t0) / (n * 10);
  return { deepfool: perImage, deepfoolSteps: df.steps.reduce((a, b) => a + b, 0) / n, grad };
}

/** Measures {@linkcode Costs} in this process (one wasm thread): a paper-scale round. */
export async function measureCosts(options: MeasureOptions): Promise<Costs> {
  await initBackend({ threads: 1 });
  const pool = images(POOL);
  const y = new Int32Array(1000).map((_, i) => i % 10);
  const model = createClassifier(LENET, { seed: 1, predictBatchSize: 512 });
  try {
    model.predictProba(pool.subarray(0, 1024 * 784)); // warm-up
    await model.fit(pool.subarray(0, 256 * 784), y.subarray(0, 256), { epochs: 1, batchSize: 32 });
    const t0 = performance.now();
    model.predictProba(pool);
    const infer = seconds(t0) / POOL;
    const train32 = await timeFit(model, pool, y, 1000, 32);
    const train64 = await timeFit(model, pool, y, 1000, 64);
    const train1 = await timeFit(model, pool, y, 200, 1);
    // The attacks run on pool images the model has not trained on, as DFAL's do.
    const attacks = timeAttacks(model, pool.subarray(20000 * 784), options.deepfoolSteps);
    const select = timeSelections(options.strategies, POOL, 1000, options.dfalSubsample);
    return { infer, train1, train32, train64, ...attacks, select };
  } finally {
    model.dispose();
  }
}

/** Seconds of each part of an instance's work on one core at the measured costs. */
export function workSeconds(work: Work, costs: Costs) {
  let select = 0;
  for (const [name, count] of Object.entries(work.selections)) {
    select += count * (costs.select[name] ?? 0);
  }
  return {
    infer: work.infer * costs.infer,
    train: work.train1 * costs.train1 + work.train32 * costs.train32 +
      work.train64 * costs.train64,
    deepfool: work.deepfool * costs.deepfool,
    grad: work.grad * costs.grad,
    select,
  };
}

/** Seconds an instance takes on one core at the measured costs. */
export function instanceSeconds(work: Work, costs: Costs): number {
  return Object.values(workSeconds(work, costs)).reduce((a, b) => a + b, 0);
}

/**
 * Wall time at `jobs` of instances taking `seconds` each: the targets first (every other counted
 * stage depends on them), then the rest spread over the jobs, never shorter than the longest.
 */
export function projectWall(
  targets: readonly number[],
  rest: readonly number[],
  jobs: number,
): number {
  const phase = (xs: readonly number[]) =>
    xs.length === 0 ? 0 : Math.max(xs.reduce((a, b) => a + b, 0) / jobs, ...xs);
  return phase(targets) + phase(rest);
}

/** Runs {@linkcode measureCosts} in `jobs` processes at once (one wasm thread each). */
async function measureInParallel(jobs: number, options: MeasureOptions): Promise<Costs[]> {
  const script = new URL(import.meta.url).pathname;
  const runs = Array.from({ length: jobs }, () =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", script, "--child", "--options", JSON.stringify(options)],
      env: { QUARRY_THREADS: "1" },
      stdout: "piped",
      stderr: "inherit",
    }).output());
  return (await Promise.all(runs)).map((out) => {
    if (!out.success) throw new Error(`bench/grid.ts: a measuring process failed (${out.code})`);
    return JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!) as Costs;
  });
}

/** The mean of the processes' costs (they ran at the same time, so each saw the other). */
export function meanCosts(all: readonly Costs[]): Costs {
  const mean = (f: (c: Costs) => number) => all.reduce((a, c) => a + f(c), 0) / all.length;
  const names = Object.keys(all[0]?.select ?? {});
  return {
    infer: mean((c) => c.infer),
    train1: mean((c) => c.train1),
    train32: mean((c) => c.train32),
    train64: mean((c) => c.train64),
    deepfool: mean((c) => c.deepfool),
    deepfoolSteps: mean((c) => c.deepfoolSteps),
    grad: mean((c) => c.grad),
    select: Object.fromEntries(names.map((n) => [n, mean((c) => c.select[n] ?? 0)])),
  };
}

/** The parts of the grid {@linkcode summarizeGrid} breaks its core-hours into. */
export const PARTS = [
  "target",
  "seeding",
  "select",
  "dfal_deepfool",
  "seedsize",
  "transfer",
  "pool_bug",
] as const;

/** What the projection leaves out. */
export const NOT_COUNTED = "prepare, stopping, plots and report (seconds each), cluster " +
  "seeding's k-means, loading data and weights, and the DAG's order beyond targets first " +
  "(a transfer instance waits for its select run)";

/** The `--json` object. */
export interface GridResult {
  profile: string;
  jobs: number;
  load: Load;
  costs: Costs;
  /** One paper-scale round on one core, seconds: score 60k, oracle 1k, train 1k, test 10k + 1k. */
  round: { score: number; oracle: number; train: number; test: number; total: number };
  instances: { counted: number; rounds: number; by_stage: Record<string, number> };
  /** Core-hours by part: select without DFAL's DeepFool, which is `dfal_deepfool`. */
  parts: Record<typeof PARTS[number], number>;
  /** Core-hours of the counted instances, and the projected wall hours at `jobs`. */
  core_hours: number;
  wall_hours: number;
  goal_hours: number;
  /**
   * The grid as the thesis drew it ({@linkcode inThesisGrid}: targets, seeding, seed size and
   * its nine strategies' selection runs), the subset issue 13 priced at 11 core-hours.
   */
  thesis: { instances: number; core_hours: number; wall_hours: number };
  /** The same grid at the arithmetic floor (`bench/grid_floor.ts`); null without a clock. */
  floor: Floor | null;
  not_counted: string;
}

/** The grid at the arithmetic floor, and how far each measured cost is above its floor. */
export interface Floor {
  /** The clock the floor is at (measured, or `--ghz`), and `/proc/cpuinfo`'s (null without). */
  ghz: number;
  nominal_ghz: number | null;
  macs_per_cycle: number;
  /** Multiply-adds of one forward pass on one image. */
  forward_macs: number;
  costs: Costs;
  /** Measured cost over floor cost, per kind of work. */
  ratio: { infer: number; train32: number; deepfool: number; grad: number };
  core_hours: number;
  wall_hours: number;
  /** The thesis's grid at the floor, wall hours at `jobs`. */
  thesis_wall_hours: number;
}

/** Builds the result from the costs and the profile's instances. */
export function summarizeGrid(
  instances: readonly Instance[],
  costs: Costs,
  jobs: number,
  profile: string,
  load: GridResult["load"],
  clock: { hz: number; nominal: number | null } | null = null,
): GridResult {
  const counted = countedOf(instances);
  const parts = Object.fromEntries(PARTS.map((p) => [p, 0])) as GridResult["parts"];
  const byStage: Record<string, number> = {};
  let rounds = 0;
  for (const { stage, work } of counted) {
    byStage[stage] = (byStage[stage] ?? 0) + 1;
    rounds += Object.values(work.selections).reduce((a, b) => a + b, 0);
    const s = workSeconds(work, costs);
    const total = Object.values(s).reduce((a, b) => a + b, 0);
    // The ceiling is the target's side of the transfer, measured once per dataset.
    const part = (stage === "ceiling" ? "transfer" : stage) as typeof PARTS[number];
    parts[part] += (total - s.deepfool) / 3600;
    parts.dfal_deepfool += s.deepfool / 3600;
  }
  const round = {
    score: POOL * costs.infer,
    oracle: 1000 * costs.infer,
    train: 1000 * costs.train32,
    test: (TEST + 1000) * costs.infer,
    total: 0,
  };
  round.total = round.score + round.oracle + round.train + round.test;
  return {
    profile,
    jobs,
    load,
    costs,
    round,
    instances: { counted: counted.length, rounds, by_stage: byStage },
    parts,
    ...project(counted, costs, jobs),
    goal_hours: 3,
    thesis: thesisOf(counted, costs, jobs),
    floor: clock === null ? null : floorOf(counted, costs, jobs, clock),
    not_counted: NOT_COUNTED,
  };
}

/** The counted instances (those {@linkcode instanceWork} prices) with their work. */
type Counted = readonly { stage: string; work: Work; thesis: boolean }[];

function countedOf(instances: readonly Instance[]): Counted {
  return instances.flatMap((i) => {
    const work = instanceWork(i);
    return work === null ? [] : [{ stage: i.stage, work, thesis: inThesisGrid(i) }];
  });
}

/** {@linkcode project} of the thesis's grid alone. */
function thesisOf(counted: Counted, costs: Costs, jobs: number): GridResult["thesis"] {
  const subset = counted.filter((c) => c.thesis);
  return { instances: subset.length, ...project(subset, costs, jobs) };
}

/** Core-hours and projected wall hours of the counted instances at `costs`. */
function project(counted: Counted, costs: Costs, jobs: number) {
  const targets: number[] = [];
  const rest: number[] = [];
  for (const { stage, work } of counted) {
    (stage === "target" ? targets : rest).push(instanceSeconds(work, costs));
  }
  const core = [...targets, ...rest].reduce((a, b) => a + b, 0) / 3600;
  return { core_hours: core, wall_hours: projectWall(targets, rest, jobs) / 3600 };
}

/** {@linkcode Floor}: the grid again at the floor costs of LeNet at the clock. */
function floorOf(
  counted: Counted,
  costs: Costs,
  jobs: number,
  clock: { hz: number; nominal: number | null },
): Floor {
  const floor = floorCosts(LENET, clock.hz * MACS_PER_CYCLE, costs.deepfoolSteps, []);
  const at = project(counted, floor, jobs);
  const thesis = thesisOf(counted, floor, jobs);
  const ratio = (k: "infer" | "train32" | "deepfool" | "grad") => costs[k] / floor[k];
  return {
    ghz: clock.hz / 1e9,
    nominal_ghz: clock.nominal === null ? null : clock.nominal / 1e9,
    macs_per_cycle: MACS_PER_CYCLE,
    forward_macs: forwardMacs(LENET).total,
    costs: floor,
    ratio: {
      infer: ratio("infer"),
      train32: ratio("train32"),
      deepfool: ratio("deepfool"),
      grad: ratio("grad"),
    },
    ...at,
    thesis_wall_hours: thesis.wall_hours,
  };
}

function report(r: GridResult): string[] {
  const ms = (s: number) => `${(s * 1000).toFixed(3)} ms`;
  const sel = Object.entries(r.costs.select).map(([n, s]) => `${n} ${s.toFixed(2)} s`);
  const parts = Object.entries(r.parts).map(([n, h]) => `${n} ${h.toFixed(2)}`);
  const stages = Object.entries(r.instances.by_stage).map(([n, c]) => `${n} ${c}`);
  return [
    `${r.jobs} processes at once, 1 wasm thread each; load average ${r.load.start.toFixed(2)} ` +
    `at start, ${r.load.end.toFixed(2)} at end (${r.load.cores} cores)`,
    `per image: predict ${ms(r.costs.infer)}, train batch 1 ${ms(r.costs.train1)}, batch 32 ` +
    `${ms(r.costs.train32)}, batch 64 ${ms(r.costs.train64)}; DeepFool ${ms(r.costs.deepfool)} ` +
    `(${r.costs.deepfoolSteps.toFixed(2)} steps), input gradient ${ms(r.costs.grad)}`,
    `one selection of 1k from 60k (10k queried): ${sel.join(", ")}`,
    `one paper-scale round on one core: score 60k ${r.round.score.toFixed(1)} s + oracle 1k ` +
    `${r.round.oracle.toFixed(2)} s + train 1k ${r.round.train.toFixed(2)} s + test 10k+1k ` +
    `${r.round.test.toFixed(2)} s = ${r.round.total.toFixed(1)} s (+ its selection)`,
    `profile ${r.profile}: ${r.instances.counted} instances counted (${stages.join(", ")}), ` +
    `${r.instances.rounds} selection rounds; ${r.core_hours.toFixed(2)} core-hours`,
    `core-hours by part: ${parts.join(", ")}`,
    `projected wall time at --jobs ${r.jobs}: ${r.wall_hours.toFixed(2)} h (goal: under ` +
    `${r.goal_hours} h: ${r.wall_hours < r.goal_hours ? "met" : "not met"})`,
    `of it, the grid as the thesis drew it (targets, seeding, seed size, its 9 strategies' ` +
    `select runs; no k-center, DFAL, transfer, pool_bug): ${r.thesis.instances} instances, ` +
    `${r.thesis.core_hours.toFixed(2)} core-hours, ${r.thesis.wall_hours.toFixed(2)} h at ` +
    `--jobs ${r.jobs} (goal: under ${r.goal_hours} h: ` +
    `${r.thesis.wall_hours < r.goal_hours ? "met" : "not met"})`,
    ...floorLines(r),
    `not counted: ${r.not_counted}`,
  ];
}

function floorLines(r: GridResult): string[] {
  const f = r.floor;
  if (f === null) return [];
  const x = (v: number) => `${v.toFixed(2)}x`;
  return [
    `arithmetic floor (${(f.forward_macs / 1e6).toFixed(2)}M multiply-adds per image forward, ` +
    `${f.macs_per_cycle} a cycle per core at ${f.ghz.toFixed(2)} GHz` +
    (f.nominal_ghz === null ? "" : ` (/proc/cpuinfo: ${f.nominal_ghz.toFixed(2)})`) +
    `; selections free): ` +
    `measured over floor: predict ${x(f.ratio.infer)}, train ${x(f.ratio.train32)}, ` +
    `DeepFool ${x(f.ratio.deepfool)}, input gradient ${x(f.ratio.grad)}`,
    `at the floor: ${f.core_hours.toFixed(2)} core-hours, ${f.wall_hours.toFixed(2)} h at ` +
    `--jobs ${r.jobs}, the thesis's grid ${f.thesis_wall_hours.toFixed(2)} h (every ` +
    `multiply-add done; skipping exact zeros could go below)`,
  ];
}

/** The DeepFool settings of the profile's DFAL runs (the first one's; defaults 20 and all). */
function dfalOptions(instances: readonly Instance[]) {
  const dfal = instances.find((i) =>
    i.stage === "select" && String(i.vars.strategy).startsWith("dfal")
  );
  const active = ((dfal?.params as Record<string, unknown> | undefined)?.active ?? {}) as Record<
    string,
    unknown
  >;
  const steps = typeof active.deepfool_steps === "number" ? active.deepfool_steps : 20;
  const sub = typeof active.dfal_subsample === "number" ? active.dfal_subsample : POOL;
  return { deepfoolSteps: steps, dfalSubsample: sub };
}

/** The core clock in Hz: `--ghz`, else measured (`measureClockHz`); and `/proc/cpuinfo`'s. */
function clocks(ghz: string | undefined): { hz: number; nominal: number | null } {
  let nominal: number | null = null;
  try {
    nominal = clockFromCpuinfo(Deno.readTextFileSync("/proc/cpuinfo"));
  } catch {
    // no /proc: the measured clock only
  }
  if (ghz === undefined) return { hz: measureClockHz(), nominal };
  const v = Number(ghz);
  if (!(v > 0)) {
    throw new RangeError(`Invalid --ghz for bench grid: expected a number > 0, got ${ghz}`);
  }
  return { hz: v * 1e9, nominal };
}

/** Runs the benchmark; see the module doc for flags. */
export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      jobs: { type: "string", default: "2" },
      json: { type: "boolean", default: false },
      pipeline: { type: "string", default: new URL("../pipeline.yaml", import.meta.url).pathname },
      profile: { type: "string", default: "paper" },
      ghz: { type: "string" },
      child: { type: "boolean", default: false },
      options: { type: "string", default: "" },
    },
  });
  if (values.child) {
    console.log(JSON.stringify(await measureCosts(JSON.parse(values.options) as MeasureOptions)));
    return;
  }
  const jobs = Number(values.jobs);
  if (!Number.isInteger(jobs) || jobs < 1) {
    throw new RangeError(
      `Invalid --jobs for bench grid: expected a positive integer, got ${values.jobs}`,
    );
  }
  const analyzed = await analyzePipeline(values.pipeline, { profile: values.profile });
  if (!analyzed.ok) {
    const first = analyzed.diagnostics[0];
    throw new Error(`bench grid: ${values.pipeline}: ${first?.field}: ${first?.message}`);
  }
  const instances = analyzed.graph.instances;
  const strategies = [
    ...new Set(instances.flatMap((i) => Object.keys(instanceWork(i)?.selections ?? {}))),
  ];
  const clock = clocks(values.ghz); // before the measuring processes load the cores
  const start = loadNow();
  const costs = meanCosts(
    await measureInParallel(jobs, { strategies, ...dfalOptions(instances) }),
  );
  const load = loadSince(start);
  const result = summarizeGrid(instances, costs, jobs, values.profile, load, clock);
  console.log(values.json ? JSON.stringify(result) : report(result).join("\n"));
}

if (import.meta.main) {
  await main(Deno.args);
}
