/**
 * `deno task bench grid [--jobs J] [--json] [--pipeline FILE] [--profile NAME]`: the thesis
 * grid's clock. Measures, in J processes at once (one per core, one wasm thread each, as
 * `repro --jobs J` runs them), what one paper-scale round of active learning costs: scoring the
 * 60k pool, the oracle answering 1k, training on 1k (batch 32) and testing on 10k (plus the 1k
 * stopping set), and each selection strategy once; then counts, from the profile's instances
 * (`analyzePipeline`), the images every stage predicts and trains on, and projects the profile's
 * wall time at `--jobs J`. Defaults: `--jobs 2`, the repository's `pipeline.yaml`, profile
 * `paper`. Synthetic images (the kernels' speed does not depend on pixel values).
 *
 * Not counted: `prepare`, `stopping`, `plots` and `report` (seconds each), and the k-means of
 * cluster seeding (once per seeding instance).
 *
 * @module
 */

import os from "node:os";
import { parseArgs } from "node:util";
import { analyzePipeline, type Instance } from "../lib/pipeline/mod.ts";
import { createProbs, select, type StrategyName } from "../lib/active/mod.ts";
import { createClassifier, initBackend, LENET } from "../lib/ml/mod.ts";
import { makeData } from "./train.ts";

/** Images in each dataset's train split (the pool) and test split: MNIST and Fashion-MNIST. */
export const POOL = 60000;
/** Test images of each dataset. */
export const TEST = 10000;

/** Per-image costs measured in one process, seconds. */
export interface Costs {
  /** `predictProba`, per image (batches of 512). */
  infer: number;
  /** `fit`, per sample, batch 32 (the substitute's) and batch 64 (the target's). */
  train32: number;
  train64: number;
  /** One selection of 1k from a 50k pool, per strategy. */
  select: Record<string, number>;
}

/** What one instance does, in images. */
export interface Work {
  infer: number;
  train32: number;
  train64: number;
  /** Selections, by strategy. */
  selections: Record<string, number>;
}

const seconds = (t0: number) => (performance.now() - t0) / 1000;

/** Tiles the benchmark's 2048 synthetic images into `n`. */
function images(n: number): Float32Array {
  const base = makeData(2048, 1).x;
  const out = new Float32Array(n * 784);
  for (let i = 0; i < n; i += 2048) out.set(base.subarray(0, Math.min(2048, n - i) * 784), i * 784);
  return out;
}

/** Times one selection of `k` per strategy on `rows` random-ish probabilities. */
function timeSelections(strategies: readonly string[], rows: number, k: number) {
  const data = new Float32Array(rows * 10).map((_, i) => ((i * 2654435761) % 1000) / 1000 + 0.01);
  for (let r = 0; r < rows; r++) {
    const row = data.subarray(r * 10, r * 10 + 10);
    const sum = row.reduce((a, b) => a + b, 0);
    row.forEach((v, j) => (row[j] = v / sum));
  }
  const probs = createProbs(data, 10);
  const answers = createProbs(data.slice(0, 10000 * 10), 10);
  const queried = new Set<number>();
  const out: Record<string, number> = {};
  for (const name of strategies) {
    const t0 = performance.now();
    select(name as StrategyName, { probs, queried, answers }, { k, seed: 1, clusters: 10 });
    out[name] = seconds(t0);
  }
  return out;
}

/** Measures {@linkcode Costs} in this process (one wasm thread): a paper-scale round. */
export async function measureCosts(strategies: readonly string[]): Promise<Costs> {
  await initBackend({ threads: 1 });
  const pool = images(POOL);
  const y = new Int32Array(1000).map((_, i) => i % 10);
  const model = createClassifier(LENET, { seed: 1, predictBatchSize: 512 });
  try {
    model.predictProba(pool.subarray(0, 1024 * 784)); // warm-up
    await model.fit(pool.subarray(0, 256 * 784), y.subarray(0, 256), { epochs: 1, batchSize: 32 });
    let t0 = performance.now();
    model.predictProba(pool);
    const infer = seconds(t0) / POOL;
    t0 = performance.now();
    await model.fit(pool.subarray(0, 1000 * 784), y, { epochs: 1, batchSize: 32 });
    const train32 = seconds(t0) / 1000;
    t0 = performance.now();
    await model.fit(pool.subarray(0, 1000 * 784), y, { epochs: 1, batchSize: 64 });
    const train64 = seconds(t0) / 1000;
    return { infer, train32, train64, select: timeSelections(strategies, 50000, 1000) };
  } finally {
    model.dispose();
  }
}

type Tree = Record<string, unknown>;
const num = (tree: Tree, key: string, fallback: number): number =>
  typeof tree[key] === "number" ? tree[key] as number : fallback;

/** The images one active-learning run (select / seedsize) predicts and trains on. */
function loopWork(active: Tree, vars: Tree): Work {
  const seed = num(vars, "seed_size", num(active, "seed_size", 1000));
  const budget = num(vars, "budget", num(active, "budget", 20000));
  const batch = num(active, "batch", 1000);
  const pool = num(active, "pool_size", 0) || POOL;
  const test = num(active, "test_size", 0) || TEST;
  const stop = num(active, "stopping_set", 1000);
  const train = (active.train ?? {}) as Tree;
  const epochs = num(train, "epochs", 1);
  const strategy = String(vars.strategy ?? active.strategy ?? "entropy");
  const rounds = Math.max(0, Math.ceil((budget - seed) / batch));
  const scratch = active.recipe === "scratch";
  let infer = seed + test + stop; // oracle on the seed, then round 0's evaluation
  let trainN = seed * epochs;
  for (let r = 1; r <= rounds; r++) {
    const queried = seed + (r - 1) * batch;
    infer += (strategy === "random" ? batch : pool - queried) + batch + test + stop;
    trainN += (scratch ? queried + batch : batch) * epochs;
  }
  return { infer, train32: trainN, train64: 0, selections: { [strategy]: rounds } };
}

/** The images an instance predicts and trains on, by stage; null for the stages not counted. */
export function instanceWork(inst: Instance): Work | null {
  const p = inst.params as Tree;
  const tree = (key: string) => (p[key] ?? {}) as Tree;
  if (inst.stage === "target") {
    const epochs = num(p, "target.epochs", 10);
    const train = num(p, "target.train_size", 0) || POOL;
    const test = num(p, "target.test_size", 0) || TEST;
    return { infer: test, train32: 0, train64: epochs * train, selections: {} };
  }
  if (inst.stage === "select" || inst.stage === "seedsize") {
    return loopWork(tree("active"), inst.vars as Tree);
  }
  if (inst.stage === "seeding") {
    const active = tree("active");
    const sizes = (p["seeding.sizes"] ?? []) as number[];
    const test = num(active, "test_size", 0) || TEST;
    const stop = num(active, "stopping_set", 1000);
    const epochs = num((active.train ?? {}) as Tree, "epochs", 1);
    const cluster = String(inst.vars.seeding ?? "random") !== "random";
    const largest = Math.max(0, ...sizes);
    return {
      infer: (cluster ? POOL : 0) + largest + sizes.length * (test + stop),
      train32: sizes.reduce((a, s) => a + s * epochs, 0),
      train64: 0,
      selections: {},
    };
  }
  return null;
}

/** Seconds an instance takes on one core at the measured costs. */
export function instanceSeconds(work: Work, costs: Costs): number {
  let s = work.infer * costs.infer + work.train32 * costs.train32 + work.train64 * costs.train64;
  for (const [name, count] of Object.entries(work.selections)) {
    s += count * (costs.select[name] ?? 0);
  }
  return s;
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
async function measureInParallel(jobs: number, strategies: readonly string[]): Promise<Costs[]> {
  const script = new URL(import.meta.url).pathname;
  const runs = Array.from({ length: jobs }, () =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", script, "--child", "--strategies", strategies.join(",")],
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
    train32: mean((c) => c.train32),
    train64: mean((c) => c.train64),
    select: Object.fromEntries(names.map((n) => [n, mean((c) => c.select[n] ?? 0)])),
  };
}

/** The `--json` object. */
export interface GridResult {
  profile: string;
  jobs: number;
  load: { start: number; end: number; cores: number };
  costs: Costs;
  /** One paper-scale round on one core, seconds: score 60k, oracle 1k, train 1k, test 10k + 1k. */
  round: { score: number; oracle: number; train: number; test: number; total: number };
  instances: { counted: number; rounds: number };
  /** Core-hours of the counted instances, and the projected wall hours at `jobs`. */
  core_hours: number;
  wall_hours: number;
  goal_hours: number;
}

/** Builds the result from the costs and the profile's instances. */
export function summarizeGrid(
  instances: readonly Instance[],
  costs: Costs,
  jobs: number,
  profile: string,
  load: GridResult["load"],
): GridResult {
  const targets: number[] = [];
  const rest: number[] = [];
  let rounds = 0;
  for (const inst of instances) {
    const work = instanceWork(inst);
    if (work === null) continue;
    rounds += Object.values(work.selections).reduce((a, b) => a + b, 0);
    (inst.stage === "target" ? targets : rest).push(instanceSeconds(work, costs));
  }
  const all = [...targets, ...rest];
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
    instances: { counted: all.length, rounds },
    core_hours: all.reduce((a, b) => a + b, 0) / 3600,
    wall_hours: projectWall(targets, rest, jobs) / 3600,
    goal_hours: 3,
  };
}

function report(r: GridResult): string[] {
  const ms = (s: number) => `${(s * 1000).toFixed(3)} ms`;
  const sel = Object.entries(r.costs.select).map(([n, s]) => `${n} ${s.toFixed(2)} s`);
  return [
    `${r.jobs} processes at once, 1 wasm thread each; load average ${r.load.start.toFixed(2)} ` +
    `at start, ${r.load.end.toFixed(2)} at end (${r.load.cores} cores)`,
    `per image: predict ${ms(r.costs.infer)}, train batch 32 ${ms(r.costs.train32)}, ` +
    `batch 64 ${ms(r.costs.train64)}`,
    `one selection of 1k from 50k: ${sel.join(", ")}`,
    `one paper-scale round on one core: score 60k ${r.round.score.toFixed(1)} s + oracle 1k ` +
    `${r.round.oracle.toFixed(2)} s + train 1k ${r.round.train.toFixed(2)} s + test 10k+1k ` +
    `${r.round.test.toFixed(2)} s = ${r.round.total.toFixed(1)} s (+ its selection)`,
    `profile ${r.profile}: ${r.instances.counted} instances counted, ${r.instances.rounds} ` +
    `selection rounds; ${r.core_hours.toFixed(2)} core-hours`,
    `projected wall time at --jobs ${r.jobs}: ${r.wall_hours.toFixed(2)} h (goal: under ` +
    `${r.goal_hours} h: ${r.wall_hours < r.goal_hours ? "met" : "not met"})`,
  ];
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
      child: { type: "boolean", default: false },
      strategies: { type: "string", default: "" },
    },
  });
  const strategies = values.strategies ? values.strategies.split(",") : [];
  if (values.child) {
    console.log(JSON.stringify(await measureCosts(strategies)));
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
  const used = [
    ...new Set(instances.flatMap((i) => Object.keys(instanceWork(i)?.selections ?? {}))),
  ];
  const start = os.loadavg()[0]!;
  const costs = meanCosts(await measureInParallel(jobs, used));
  const load = { start, end: os.loadavg()[0]!, cores: os.cpus().length };
  const result = summarizeGrid(instances, costs, jobs, values.profile, load);
  console.log(values.json ? JSON.stringify(result) : report(result).join("\n"));
}

if (import.meta.main) {
  await main(Deno.args);
}
