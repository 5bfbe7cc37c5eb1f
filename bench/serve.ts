/**
 * `deno task bench serve [--clients 8] [--seconds 3] [--batch 100] [--model FILE] [--json]`:
 * the prediction API under load, on 127.0.0.1 only. Starts `lib/serve/cli.ts` as a child on a
 * free port, runs N concurrent clients posting raw batches for two rounds of S seconds, and
 * reports images/s, p50/p99 request latency and the server's RSS before, between and after the
 * rounds (flat between the rounds: nothing accumulates per request), beside the in-process oracle's
 * images/s on the same batches. Bounded: at most 64 clients and 2 x 60 seconds.
 *
 * Without `--model` it uses `artifacts/target/mnist/model.weights` when present, else a seeded,
 * untrained LeNet (the same arithmetic; throughput does not depend on the weights' values).
 *
 * @module
 */

import { join } from "node:path";
import { parseArgs } from "node:util";
import { Oracle } from "../lib/active/oracle.ts";
import { createClassifier, initBackend, LENET } from "../lib/ml/mod.ts";
import { hashKey } from "../lib/serve/keys.ts";
import { loadServeModel } from "../lib/serve/model.ts";
import { spawnServer } from "../lib/serve/spawn.ts";
import { formatShapeHeader } from "../lib/serve/wire.ts";
import { createRng } from "../lib/util/random.ts";

const KEY = "qk_bench";

function bounded(value: string | undefined, flag: string, fallback: number, max: number): number {
  const n = value === undefined ? fallback : Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new RangeError(`Invalid ${flag}: expected an integer 1-${max}, got "${value}"`);
  }
  return n;
}

async function modelFile(dir: string, given: string | undefined): Promise<string> {
  if (given !== undefined) return given;
  const trained = "artifacts/target/mnist/model.weights";
  try {
    if ((await Deno.stat(trained)).isFile) return trained;
  } catch {
    // not trained here: fall through
  }
  await initBackend();
  const model = createClassifier(LENET, { seed: 0 });
  const path = join(dir, "model.weights");
  await Deno.writeFile(path, model.saveWeights());
  model.dispose();
  return path;
}

function rssBytes(pid: number): number | null {
  try {
    const m = /VmRSS:\s+([0-9]+) kB/.exec(Deno.readTextFileSync(`/proc/${pid}/status`));
    return m === null ? null : Number(m[1]) * 1024;
  } catch {
    return null;
  }
}

const mb = (bytes: number | null) => (bytes === null ? null : Math.round(bytes / 2 ** 20));

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

async function load(url: string, images: Uint8Array, batch: number, clients: number, s: number) {
  const latencies: number[] = [];
  let answered = 0;
  const deadline = performance.now() + s * 1000;
  const client = async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      const response = await fetch(`${url}/v1/predict`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${KEY}`,
          "content-type": "application/octet-stream",
          "x-shape": formatShapeHeader(batch, 28, 28),
        },
        body: images as Uint8Array<ArrayBuffer>,
      });
      const body = await response.json();
      if (response.status !== 200) {
        throw new Error(`server answered ${response.status}: ${JSON.stringify(body)}`);
      }
      latencies.push(performance.now() - t0);
      answered += batch;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: clients }, client));
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  return { answered, seconds, latencies };
}

async function inProcess(modelPath: string, images: Uint8Array, batch: number, s: number) {
  const model = await loadServeModel(modelPath);
  try {
    const oracle = new Oracle({ predictProba: (x, n) => model.predictProba(x, n) }, {
      budget: Number.MAX_SAFE_INTEGER,
      answer: "probabilities",
      classes: model.classes,
      imageSize: 784,
    });
    await oracle.query(images); // warm-up
    const t0 = performance.now();
    let answered = 0;
    while (performance.now() - t0 < s * 1000) {
      await oracle.query(images);
      answered += batch;
    }
    return answered / ((performance.now() - t0) / 1000);
  } finally {
    model.dispose();
  }
}

/** Runs the benchmark. */
export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      clients: { type: "string" },
      seconds: { type: "string" },
      batch: { type: "string" },
      model: { type: "string" },
      json: { type: "boolean", default: false },
    },
  });
  const clients = bounded(values.clients, "--clients", 8, 64);
  const seconds = bounded(values.seconds, "--seconds", 3, 60);
  const batch = bounded(values.batch, "--batch", 100, 1000);
  const dir = await Deno.makeTempDir({ prefix: "quarry-bench-serve-" });
  let child: Deno.ChildProcess | null = null;
  try {
    const model = await modelFile(dir, values.model);
    const keys = join(dir, "keys.json");
    await Deno.writeTextFile(
      keys,
      JSON.stringify({
        version: 1,
        keys: [{
          id: "bench",
          sha256: await hashKey(KEY),
          budget: Number.MAX_SAFE_INTEGER,
          answer: "probabilities",
          rate: null,
        }],
      }),
    );
    const rng = createRng(1);
    const images = Uint8Array.from({ length: batch * 784 }, () => rng.int(256));
    const server = await spawnServer([
      ...["--model", model, "--keys", keys, "--usage", join(dir, "usage.json")],
      ...["--log", join(dir, "access.jsonl"), "--port", "0", "--max-batch", String(batch)],
    ]);
    child = server.child;
    await load(server.url, images, batch, 1, 0.2); // warm-up: first predictions compile kernels
    // Two load rounds of S seconds: RSS after the first (buffers grown to the concurrency) and
    // after the second show whether memory stays flat under sustained load.
    const rssBefore = rssBytes(child.pid);
    const first = await load(server.url, images, batch, clients, seconds);
    const rssMid = rssBytes(child.pid);
    const second = await load(server.url, images, batch, clients, seconds);
    const rssAfter = rssBytes(child.pid);
    const run = {
      answered: first.answered + second.answered,
      seconds: first.seconds + second.seconds,
      latencies: [...first.latencies, ...second.latencies].sort((a, b) => a - b),
    };
    const local = await inProcess(model, images, batch, Math.min(seconds, 3));
    const result = {
      clients,
      batch,
      seconds: Math.round(run.seconds * 100) / 100,
      requests: run.latencies.length,
      images_per_s: Math.round(run.answered / run.seconds),
      p50_ms: Math.round(percentile(run.latencies, 0.5) * 10) / 10,
      p99_ms: Math.round(percentile(run.latencies, 0.99) * 10) / 10,
      in_process_images_per_s: Math.round(local),
      rss_before_mb: mb(rssBefore),
      rss_after_first_mb: mb(rssMid),
      rss_after_mb: mb(rssAfter),
      model,
    };
    if (values.json) {
      console.log(JSON.stringify(result));
      return;
    }
    console.log(
      `serve: ${clients} clients x batch ${batch} for ${result.seconds} s: ${result.requests} requests, ` +
        `${result.images_per_s} images/s (in-process oracle ${result.in_process_images_per_s}/s, ` +
        `${(result.images_per_s / result.in_process_images_per_s).toFixed(2)}x), latency p50 ` +
        `${result.p50_ms} ms p99 ${result.p99_ms} ms, server RSS ${result.rss_before_mb} -> ` +
        `${result.rss_after_first_mb} -> ${result.rss_after_mb} MB (model ${model})`,
    );
  } finally {
    if (child !== null) {
      child.kill("SIGTERM");
      await child.status;
    }
    await Deno.remove(dir, { recursive: true });
  }
}
