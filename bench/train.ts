/**
 * `deno task bench train [--vs-torch] [--json] [--seconds S] [--rounds R] [--threads N]`: training
 * (batch 64) and inference (batch 512) throughput, in samples/s, of the default model (DESIGN §3:
 * conv 5x5x20 relu, max-pool 2, conv 5x5x50 relu, max-pool 2, dense 500 relu, dense 10; RMSProp)
 * on the tfjs wasm backend with N threads. With `--vs-torch`, the same model, batches and data in
 * PyTorch (`/usr/bin/python3`, `bench/torch_train.py`) in every configuration a user would try:
 * OpenBLAS with `OPENBLAS_NUM_THREADS=1` or its default, oneDNN (`torch.backends.mkldnn`) on or
 * off, 1 or 2 threads. Windows of S/R seconds are interleaved (tfjs, then each PyTorch
 * configuration, R rounds), each engine's figure is the median window (min–max shown), and tfjs is
 * compared with PyTorch's best configuration at the same thread count, for training and inference
 * separately. The load average is printed at the start and the end; when the one at the start is
 * above half the cores, or the one at the end above that plus the benchmark's own threads, there
 * is no verdict ("machine busy"): the ratios are still printed, but they measure the other load
 * as much as the engines.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { type Load, loadNow, loadSince, median } from "./_stats.ts";
import { createClassifier, initBackend, LENET } from "../lib/ml/mod.ts";

/** Training batch size of the benchmark. */
export const TRAIN_BATCH = 64;
/** Inference batch size of the benchmark. */
export const INFER_BATCH = 512;
/** The benchmarked model, as `--json` names it. */
export const MODEL =
  "lenet: conv5x5x20-relu-maxpool2-conv5x5x50-relu-maxpool2-dense500-relu-dense10, rmsprop";

/** Samples in the synthetic data set the benchmark cycles through. */
export const DATA_SIZE = 2048;

/** Deterministic synthetic data: images in [0, 1) and one-hot labels. */
export function makeData(n: number, seed: number): { x: Float32Array; y: Int32Array } {
  const x = new Float32Array(n * 784);
  const y = new Int32Array(n);
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = 0; i < x.length; i++) x[i] = next();
  for (let i = 0; i < n; i++) y[i] = Math.floor(next() * 10);
  return { x, y };
}

/** Measured throughputs, in samples/s. */
export interface Throughput {
  train: number;
  infer: number;
}

/** Median and range of an engine's windows, samples/s. */
export interface Stats {
  median: number;
  min: number;
  max: number;
}

/** {@linkcode Stats} of some windows' rates. */
export function stats(rates: readonly number[]): Stats {
  return { median: median(rates), min: Math.min(...rates), max: Math.max(...rates) };
}

/** What the benchmark times: one window of about `seconds` per call, in samples/s. */
export interface Engine {
  train(seconds: number): Promise<number>;
  infer(seconds: number): Promise<number>;
  close(): Promise<void>;
}

/** Samples per `fit` call of a tfjs training window (4 batches, so windows can be short). */
const TRAIN_CHUNK = 4 * TRAIN_BATCH;

async function window(
  step: (i: number) => Promise<void>,
  samples: number,
  seconds: number,
): Promise<number> {
  // One untimed step first, as the PyTorch peer does: the other engine's threads may still spin.
  await step(0);
  let steps = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < seconds * 1000 || steps < 2) {
    await step(steps++);
    elapsed = performance.now() - start;
  }
  return (steps * samples) / (elapsed / 1000);
}

/**
 * The tfjs engine: Quarry's own classifier (`fit` on 256 samples at a time in batches of 64,
 * `predictProba` on 512) on the current tfjs backend, warmed up once.
 */
export async function tfjsEngine(): Promise<Engine> {
  const data = makeData(DATA_SIZE, 1);
  const model = createClassifier(LENET, { seed: 1, predictBatchSize: INFER_BATCH });
  const chunk = (size: number, i: number) => {
    const start = ((i * size) % DATA_SIZE) * 784;
    return data.x.subarray(start, start + size * 784);
  };
  const train = async (i: number) => {
    const start = (i * TRAIN_CHUNK) % DATA_SIZE;
    const y = data.y.subarray(start, start + TRAIN_CHUNK);
    await model.fit(chunk(TRAIN_CHUNK, i), y, { epochs: 1, batchSize: TRAIN_BATCH });
  };
  const infer = (i: number) => {
    model.predictProba(chunk(INFER_BATCH, i));
    return Promise.resolve();
  };
  await train(0);
  await infer(0);
  return {
    train: (seconds) => window(train, TRAIN_CHUNK, seconds),
    infer: (seconds) => window(infer, INFER_BATCH, seconds),
    close: () => Promise.resolve(model.dispose()),
  };
}

/** One PyTorch configuration a user would try. */
export interface TorchConfig {
  /** `OPENBLAS_NUM_THREADS` of the process, or `"default"` (unset). */
  openblas: "1" | "default";
  /** `torch.backends.mkldnn.enabled`. */
  mkldnn: boolean;
  /** `torch.set_num_threads`. */
  threads: number;
}

/** Every configuration `--vs-torch` runs (with the thread counts asked for). */
export function torchConfigs(threads: readonly number[]): TorchConfig[] {
  const out: TorchConfig[] = [];
  for (const openblas of ["1", "default"] as const) {
    for (const mkldnn of [true, false]) {
      for (const t of threads) out.push({ openblas, mkldnn, threads: t });
    }
  }
  return out;
}

/** A configuration's name, as printed. */
export function configName(c: TorchConfig): string {
  const blas = c.openblas === "1" ? "OPENBLAS_NUM_THREADS=1" : "OpenBLAS default";
  return `PyTorch ${c.threads} thr, ${blas}, oneDNN ${c.mkldnn ? "on" : "off"}`;
}

const PYTHON = "/usr/bin/python3";

/** Whether `/usr/bin/python3` can import torch. */
export async function torchAvailable(): Promise<boolean> {
  try {
    const out = await new Deno.Command(PYTHON, {
      args: ["-c", "import torch"],
      stdout: "null",
      stderr: "null",
    }).output();
    return out.success;
  } catch {
    return false;
  }
}

/** Lines of a byte stream, one at a time. */
function lineReader(stream: ReadableStream<Uint8Array>): () => Promise<string> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  return async () => {
    for (;;) {
      const end = buffered.indexOf("\n");
      if (end >= 0) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 1);
        return line;
      }
      const { value, done } = await reader.read();
      if (done) throw new Error("bench/torch_train.py exited early (see its stderr above)");
      buffered += value;
    }
  };
}

/** A `bench/torch_train.py` process serving windows, with its OpenBLAS thread setting. */
export interface TorchProcess {
  version: string;
  blas: string;
  window(phase: "train" | "infer", config: TorchConfig, seconds: number): Promise<number>;
  close(): Promise<void>;
}

/** Starts `bench/torch_train.py` on `dataFile` with `OPENBLAS_NUM_THREADS` set or unset. */
export async function startTorch(
  dataFile: string,
  openblas: "1" | "default",
): Promise<TorchProcess> {
  const env = Deno.env.toObject();
  delete env.OPENBLAS_NUM_THREADS;
  if (openblas === "1") env.OPENBLAS_NUM_THREADS = "1";
  const script = new URL("./torch_train.py", import.meta.url).pathname;
  const child = new Deno.Command(PYTHON, {
    args: [script, "--data", dataFile, "--n", String(DATA_SIZE), "--train-batch"]
      .concat([String(TRAIN_BATCH), "--infer-batch", String(INFER_BATCH)]),
    env,
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const writer = child.stdin.getWriter();
  const readLine = lineReader(child.stdout);
  const hello = JSON.parse(await readLine()) as { torch: string; blas: string };
  return {
    version: hello.torch,
    blas: hello.blas,
    async window(phase, config, seconds) {
      const request = { phase, threads: config.threads, mkldnn: config.mkldnn, seconds };
      await writer.write(new TextEncoder().encode(JSON.stringify(request) + "\n"));
      return (JSON.parse(await readLine()) as { rate: number }).rate;
    },
    async close() {
      await writer.close();
      await child.status;
    },
  };
}

/** Writes the benchmark's data for the PyTorch peer: pixels, then labels. */
async function writeTorchData(): Promise<string> {
  const data = makeData(DATA_SIZE, 1);
  const file = await Deno.makeTempFile({ prefix: "quarry-bench-", suffix: ".bin" });
  const bytes = new Uint8Array(data.x.byteLength + data.y.byteLength);
  bytes.set(new Uint8Array(data.x.buffer), 0);
  bytes.set(new Uint8Array(data.y.buffer), data.x.byteLength);
  await Deno.writeFile(file, bytes);
  return file;
}

/** Per-engine windows: tfjs's, then each configuration's, in {@linkcode torchConfigs} order. */
export interface Rounds {
  tfjs: { train: number[]; infer: number[] };
  torch: { train: number[]; infer: number[] }[];
}

/**
 * Runs `rounds` rounds of windows of `seconds`, interleaved: each round times tfjs, then every
 * PyTorch configuration, training then inference.
 */
export async function runRounds(
  tfjs: Engine,
  torch: { config: TorchConfig; process: TorchProcess }[],
  rounds: number,
  seconds: number,
): Promise<Rounds> {
  const out: Rounds = {
    tfjs: { train: [], infer: [] },
    torch: torch.map(() => ({ train: [], infer: [] })),
  };
  for (let r = 0; r < rounds; r++) {
    out.tfjs.train.push(await tfjs.train(seconds));
    out.tfjs.infer.push(await tfjs.infer(seconds));
    for (const [i, { config, process }] of torch.entries()) {
      out.torch[i]!.train.push(await process.window("train", config, seconds));
      out.torch[i]!.infer.push(await process.window("infer", config, seconds));
    }
  }
  return out;
}

/** One PyTorch configuration's figures in `--json`. */
export interface ConfigResult extends TorchConfig {
  name: string;
  train: Stats;
  infer: Stats;
}

/** The `--json` object: issue 5's fields (PyTorch's best per thread count) and the details. */
export interface BenchResult {
  model: string;
  /** 1-minute load average at the start and end, and the logical cores. */
  load: Load;
  /**
   * "ok", "machine busy" (no verdict: the load average at the start above half the cores, or at
   * the end above that plus the benchmark's threads) or "no peer".
   */
  verdict: "ok" | "machine busy" | "no peer";
  tfjs: { train: number; infer: number; threads: number; windows: { train: Stats; infer: Stats } };
  torch: {
    "1": Throughput | null;
    "2": Throughput | null;
    blas: string;
    version: string;
    configs: ConfigResult[];
  } | null;
  /** tfjs over PyTorch's best configuration with 2 threads, and with tfjs's thread count. */
  ratio: {
    train_vs_torch2: number | null;
    infer_vs_torch2: number | null;
    train_vs_best: number;
    infer_vs_best: number;
    best_train: string;
    best_infer: string;
    /** Against PyTorch's best configuration of any thread count. */
    train_vs_any: number;
    infer_vs_any: number;
  } | null;
}

/** The configuration with the highest median for a phase, among those with `threads` (or any). */
function best(configs: ConfigResult[], phase: "train" | "infer", threads?: number) {
  const same = configs.filter((c) => threads === undefined || c.threads === threads);
  return same.length === 0
    ? null
    : same.reduce((a, b) => b[phase].median > a[phase].median ? b : a);
}

/** PyTorch's best medians with `threads`, each phase on its own best configuration. */
function bestThroughput(configs: ConfigResult[], threads: number): Throughput | null {
  const [train, infer] = [best(configs, "train", threads), best(configs, "infer", threads)];
  return train === null || infer === null
    ? null
    : { train: Math.round(train.train.median), infer: Math.round(infer.infer.median) };
}

/** Builds the result (figures rounded: samples/s to integers, ratios to 3 decimals). */
export function summarize(
  rounds: Rounds,
  configs: TorchConfig[],
  peer: { version: string; blas: string } | null,
  threads: number,
  load: BenchResult["load"],
): BenchResult {
  const tfjs = { train: stats(rounds.tfjs.train), infer: stats(rounds.tfjs.infer) };
  const results: ConfigResult[] = configs.map((c, i) => ({
    name: configName(c),
    ...c,
    train: roundStats(stats(rounds.torch[i]!.train)),
    infer: roundStats(stats(rounds.torch[i]!.infer)),
  }));
  const [bt, bi] = [best(results, "train", threads), best(results, "infer", threads)];
  const two = bestThroughput(results, 2);
  // The load at the start counts the other work; the one at the end also the benchmark's own
  // threads (at most `threads` runnable at a time), so it may exceed the limit by that much.
  const busy = load.start > load.cores / 2 || load.end > load.cores / 2 + threads;
  return {
    model: MODEL,
    load,
    verdict: peer === null || bt === null ? "no peer" : busy ? "machine busy" : "ok",
    tfjs: {
      train: Math.round(tfjs.train.median),
      infer: Math.round(tfjs.infer.median),
      threads,
      windows: { train: roundStats(tfjs.train), infer: roundStats(tfjs.infer) },
    },
    torch: peer === null ? null : {
      "1": bestThroughput(results, 1),
      "2": two,
      blas: peer.blas,
      version: peer.version,
      configs: results,
    },
    ratio: peer === null || bt === null || bi === null ? null : {
      train_vs_torch2: two === null ? null : round3(tfjs.train.median / two.train),
      infer_vs_torch2: two === null ? null : round3(tfjs.infer.median / two.infer),
      train_vs_best: round3(tfjs.train.median / bt.train.median),
      infer_vs_best: round3(tfjs.infer.median / bi.infer.median),
      best_train: bt.name,
      best_infer: bi.name,
      train_vs_any: round3(tfjs.train.median / best(results, "train")!.train.median),
      infer_vs_any: round3(tfjs.infer.median / best(results, "infer")!.infer.median),
    },
  };
}

function roundStats(s: Stats): Stats {
  return { median: Math.round(s.median), min: Math.round(s.min), max: Math.round(s.max) };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function positive(name: string, text: string, integer: boolean): number {
  const x = Number(text);
  if (!(x > 0) || (integer && !Number.isInteger(x))) {
    throw new RangeError(
      `Invalid --${name} for bench train: expected a positive ${
        integer ? "integer" : "number"
      }, got ${text}`,
    );
  }
  return x;
}

/** The text report of a result. */
export function report(result: BenchResult, rounds: number, window: number): string[] {
  const cell = (s: Stats) => `${String(s.median).padStart(6)} (${s.min}–${s.max})`.padEnd(22);
  const lines = [
    `model: ${result.model}; train batch ${TRAIN_BATCH}, infer batch ${INFER_BATCH}`,
    `machine: ${result.load.cores} logical cores, load average ${
      result.load.start.toFixed(2)
    } at start, ${
      result.load.end.toFixed(2)
    } at end; ${rounds} interleaved rounds of ${window} s ` +
    `windows, median (min–max) samples/s`,
    `${"engine".padEnd(46)} ${"train/s".padEnd(22)} infer/s`,
    `${`tfjs wasm, ${result.tfjs.threads} thr`.padEnd(46)} ${cell(result.tfjs.windows.train)} ${
      cell(result.tfjs.windows.infer)
    }`,
  ];
  for (const c of result.torch?.configs ?? []) {
    lines.push(`${c.name.padEnd(46)} ${cell(c.train)} ${cell(c.infer)}`);
  }
  if (result.torch !== null) {
    lines.push(`PyTorch ${result.torch.version}, BLAS: ${result.torch.blas}`);
  }
  if (result.ratio !== null) {
    const r = result.ratio;
    lines.push(
      `best PyTorch at ${result.tfjs.threads} thr: train ${r.best_train}; infer ${r.best_infer}`,
    );
    lines.push(`ratio tfjs / best PyTorch: train ${r.train_vs_best}, infer ${r.infer_vs_best}`);
    lines.push(
      `ratio tfjs / best PyTorch of any thread count: train ${r.train_vs_any}, infer ${r.infer_vs_any}`,
    );
    lines.push(
      result.verdict === "ok"
        ? `verdict: inference ${r.infer_vs_best >= 1 ? "at or above" : "below"} PyTorch's best, ` +
          `training ${r.train_vs_best >= 1 ? "at or above" : "below"}`
        : `verdict: none (machine busy: load above ${result.load.cores / 2} at the start, or ` +
          `above ${result.load.cores / 2 + result.tfjs.threads} at the end); the ratios above ` +
          `measure the other load too`,
    );
  }
  return lines;
}

/** Runs the benchmark; see the module doc for flags. */
export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      "vs-torch": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      seconds: { type: "string", default: "6" },
      threads: { type: "string", default: "1" },
      rounds: { type: "string", default: "3" },
      "torch-threads": { type: "string", default: "1,2" },
    },
  });
  const rounds = positive("rounds", values.rounds, true);
  const seconds = positive("seconds", values.seconds, false);
  const threads = positive("threads", values.threads, true);
  const torchThreads = values["torch-threads"].split(",").map((t) =>
    positive("torch-threads", t, true)
  );
  const start = loadNow();
  await initBackend({ threads });
  const tfjs = await tfjsEngine();
  const configs = values["vs-torch"] ? torchConfigs(torchThreads) : [];
  const peer = configs.length > 0 && await torchAvailable() ? await startPeers() : null;
  if (configs.length > 0 && peer === null) {
    console.error(`PyTorch: skipped (${PYTHON} cannot import torch)`);
  }
  try {
    const torch = peer === null
      ? []
      : configs.map((config) => ({ config, process: peer[config.openblas] }));
    const windows = await runRounds(tfjs, torch, rounds, seconds / rounds);
    const load = loadSince(start);
    const result = summarize(
      windows,
      peer === null ? [] : configs,
      peer?.default ?? null,
      threads,
      load,
    );
    console.log(
      values.json ? JSON.stringify(result) : report(result, rounds, seconds / rounds).join("\n"),
    );
  } finally {
    await tfjs.close();
    if (peer !== null) await Promise.all([peer["1"].close(), peer.default.close()]);
    if (peer !== null) await Deno.remove(peer.file);
  }
}

/** One PyTorch process per OpenBLAS setting, on one data file. */
async function startPeers(): Promise<Record<"1" | "default", TorchProcess> & { file: string }> {
  const file = await writeTorchData();
  const [one, auto] = await Promise.all([startTorch(file, "1"), startTorch(file, "default")]);
  return { "1": one, default: auto, file };
}

if (import.meta.main) {
  await main(Deno.args);
}
