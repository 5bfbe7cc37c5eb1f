/**
 * `deno task bench train [--vs-torch] [--json] [--seconds S] [--rounds R] [--threads N]`: training
 * (batch 64)
 * and inference (batch 512) throughput, in samples/s, of the default model (DESIGN §3: conv 5x5x20
 * relu, max-pool 2, conv 5x5x50 relu, max-pool 2, dense 500 relu, dense 10; RMSProp) on the tfjs
 * wasm backend; with `--vs-torch`, the same model, batches and data in PyTorch (1 and 2 threads)
 * in the same run, when `/usr/bin/python3` can import torch.
 *
 * @module
 */

import os from "node:os";
import { parseArgs } from "node:util";
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

/** The median of some numbers (the upper one of the middle two). */
export function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/**
 * Times training (`fit`, batch 64) and inference (`predictProba`, batch 512) of the default model
 * through Quarry's own classifier on the current tfjs backend, about `seconds` each, split in
 * `rounds` windows; returns the median window's rate (the machine is shared, so noisy).
 */
export async function measureTfjs(seconds: number, rounds = 3): Promise<Throughput> {
  const data = makeData(DATA_SIZE, 1);
  const model = createClassifier(LENET, { seed: 1, predictBatchSize: INFER_BATCH });
  const timeLoop = async (step: () => Promise<void>, samples: number): Promise<number> => {
    await step(); // warm-up
    const rates: number[] = [];
    for (let r = 0; r < rounds; r++) {
      let steps = 0;
      const start = performance.now();
      let elapsed = 0;
      while (elapsed < (seconds * 1000) / rounds || steps < 2) {
        await step();
        steps++;
        elapsed = performance.now() - start;
      }
      rates.push((steps * samples) / (elapsed / 1000));
    }
    return median(rates);
  };
  try {
    const train = await timeLoop(async () => {
      await model.fit(data.x, data.y, { epochs: 1, batchSize: TRAIN_BATCH });
    }, DATA_SIZE);
    const infer = await timeLoop(() => {
      model.predictProba(data.x);
      return Promise.resolve();
    }, DATA_SIZE);
    return { train, infer };
  } finally {
    model.dispose();
  }
}

/** PyTorch's figures from `bench/torch_train.py`, or why there are none. */
export interface TorchResult {
  "1": Throughput;
  "2": Throughput;
  blas: string;
  version: string;
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

/** Runs the PyTorch peer on the same synthetic data, with 1 and 2 threads. */
export async function measureTorch(seconds: number, rounds = 3): Promise<TorchResult> {
  const data = makeData(DATA_SIZE, 1);
  const file = await Deno.makeTempFile({ prefix: "quarry-bench-", suffix: ".bin" });
  try {
    const bytes = new Uint8Array(data.x.byteLength + data.y.byteLength);
    bytes.set(new Uint8Array(data.x.buffer), 0);
    bytes.set(new Uint8Array(data.y.buffer), data.x.byteLength);
    await Deno.writeFile(file, bytes);
    const script = new URL("./torch_train.py", import.meta.url).pathname;
    const out = await new Deno.Command(PYTHON, {
      args: [
        script,
        "--data",
        file,
        "--n",
        String(DATA_SIZE),
        "--seconds",
        String(seconds),
        "--rounds",
        String(rounds),
        "--threads",
        "1,2",
        "--train-batch",
        String(TRAIN_BATCH),
        "--infer-batch",
        String(INFER_BATCH),
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      throw new Error(
        `bench/torch_train.py failed (exit ${out.code}): ${new TextDecoder().decode(out.stderr)}`,
      );
    }
    const parsed = JSON.parse(new TextDecoder().decode(out.stdout)) as {
      torch: string;
      blas: string;
      threads: Record<"1" | "2", Throughput>;
    };
    return {
      "1": parsed.threads["1"],
      "2": parsed.threads["2"],
      blas: parsed.blas,
      version: parsed.torch,
    };
  } finally {
    await Deno.remove(file);
  }
}

/** The `--json` object of issue 5 (samples/s, rounded; ratios to 3 decimals). */
export interface BenchResult {
  model: string;
  tfjs: { train: number; infer: number; threads: number };
  torch: { "1": Throughput; "2": Throughput; blas: string } | null;
  ratio: { train_vs_torch2: number; infer_vs_torch2: number } | null;
}

/** Runs the benchmark; see the module doc for flags. */
export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      "vs-torch": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      seconds: { type: "string", default: "5" },
      threads: { type: "string", default: "1" },
      rounds: { type: "string", default: "3" },
    },
  });
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) {
    throw new RangeError(
      `Invalid --rounds for bench train: expected a positive integer, got ${values.rounds}`,
    );
  }
  const seconds = Number(values.seconds);
  if (!(seconds > 0)) {
    throw new RangeError(
      `Invalid --seconds for bench train: expected a positive number, got ${values.seconds}`,
    );
  }
  const threads = Number(values.threads);
  const backend = await initBackend({ threads });
  const load = os.loadavg()[0]!;
  const tfjs = await measureTfjs(seconds, rounds);
  let torch: TorchResult | null = null;
  let skipped = "";
  if (values["vs-torch"]) {
    if (await torchAvailable()) torch = await measureTorch(seconds, rounds);
    else skipped = `PyTorch: skipped (${PYTHON} cannot import torch)`;
  }
  const result: BenchResult = {
    model: MODEL,
    tfjs: { train: round(tfjs.train), infer: round(tfjs.infer), threads },
    torch: torch === null ? null : {
      "1": { train: round(torch["1"].train), infer: round(torch["1"].infer) },
      "2": { train: round(torch["2"].train), infer: round(torch["2"].infer) },
      blas: torch.blas,
    },
    ratio: torch === null ? null : {
      train_vs_torch2: round3(tfjs.train / torch["2"].train),
      infer_vs_torch2: round3(tfjs.infer / torch["2"].infer),
    },
  };
  if (values.json) {
    console.log(JSON.stringify(result));
    return;
  }
  const line = (name: string, t: Throughput) =>
    `${name.padEnd(34)} ${String(round(t.train)).padStart(7)} ${
      String(round(t.infer)).padStart(7)
    }`;
  console.log(`model: ${result.model}; train batch ${TRAIN_BATCH}, infer batch ${INFER_BATCH}`);
  console.log(
    `machine: ${os.cpus().length} logical cores, load average ${
      load.toFixed(2)
    } at start (a shared machine gives noisy figures); median of ${rounds} windows`,
  );
  console.log(`${"engine".padEnd(34)} ${"train/s".padStart(7)} ${"infer/s".padStart(7)}`);
  console.log(line(`tfjs ${backend} (${threads} thread${threads > 1 ? "s" : ""})`, tfjs));
  if (torch !== null && result.ratio !== null) {
    console.log(line(`PyTorch ${torch.version}, 1 thread`, torch["1"]));
    console.log(line(`PyTorch ${torch.version}, 2 threads`, torch["2"]));
    console.log(`PyTorch BLAS: ${torch.blas}`);
    console.log(
      `ratio tfjs / PyTorch 2 threads: train ${result.ratio.train_vs_torch2}, infer ${result.ratio.infer_vs_torch2}`,
    );
    console.log(
      `ratio tfjs / PyTorch 1 thread: train ${round3(tfjs.train / torch["1"].train)}, infer ${
        round3(tfjs.infer / torch["1"].infer)
      }`,
    );
  } else if (skipped) {
    console.log(skipped);
  }
}

function round(x: number): number {
  return Math.round(x);
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

if (import.meta.main) {
  await main(Deno.args);
}
