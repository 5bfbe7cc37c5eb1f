/**
 * `deno task serve`: the target as a prediction API, and its tools.
 *
 * ```
 * deno task serve --model artifacts/target/mnist/model.weights --keys keys.json [--port 8080]
 *   [--host 127.0.0.1] [--public] [--usage FILE] [--log FILE] [--max-batch 1000]
 *   [--max-body 4194304] [--threads 1]
 * deno task serve keys add --keys keys.json --budget 5000 --answer labels [--rate 10] [--id NAME]
 * deno task serve report --log access.jsonl [--bucket 1] [--svg FILE] [--json FILE]
 * ```
 *
 * Exit codes: 0 success, 2 invalid usage or input files.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { renderSvg } from "../report/render.ts";
import { writeFileAtomic } from "../util/fs.ts";
import { AccessLog, parseAccessLog } from "./access_log.ts";
import { addKey, KeyRing, readKeysFile } from "./keys.ts";
import { loadServeModel } from "./model.ts";
import { attackSpec, formatSeriesTable, formatSummaryTable, summariseLog } from "./report.ts";
import { startServer } from "./server.ts";
import { UsageStore } from "./usage.ts";

/** Hosts that keep the server on this machine. */
const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1"]);

class UsageError extends Error {}

function int(value: string | undefined, flag: string, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  if (!/^[0-9]+$/.test(value) || Number(value) < min || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`Invalid ${flag}: expected an integer >= ${min}, got "${value}"`);
  }
  return Number(value);
}

async function serve(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      model: { type: "string", default: "artifacts/target/mnist/model.weights" },
      keys: { type: "string", default: "keys.json" },
      usage: { type: "string" },
      log: { type: "string" },
      host: { type: "string", default: "127.0.0.1" },
      public: { type: "boolean", default: false },
      port: { type: "string" },
      "max-batch": { type: "string" },
      "max-body": { type: "string" },
      threads: { type: "string" },
    },
  });
  const host = values.host!;
  if (!LOOPBACK.has(host) && !values.public) {
    throw new UsageError(
      `Refusing to bind to "${host}": the API would be reachable from other machines; pass --public to do so`,
    );
  }
  const port = int(values.port, "--port", 8080);
  const maxBatch = int(values["max-batch"], "--max-batch", 1000, 1);
  const maxBody = int(values["max-body"], "--max-body", 4 * 1024 * 1024, 1);
  const keysPath = values.keys!;
  const keys = new KeyRing(await readKeysFile(keysPath));
  const usagePath = values.usage ?? keysPath.replace(/(\.json)?$/, ".usage.json");
  const usage = await UsageStore.open(usagePath);
  const model = await loadServeModel(values.model!, {
    threads: int(values.threads, "--threads", 1, 1),
  });
  const log = new AccessLog(values.log ?? null);
  if (!LOOPBACK.has(host)) {
    console.error(`warning: binding to ${host}: the API is reachable from other machines`);
  }
  const server = await startServer({
    model,
    keys,
    usage,
    log,
    maxBatch,
    maxBody,
    hostname: host,
    port,
  });
  console.log(
    `quarry serve: listening on ${server.url} (model ${values.model}, ${keys.records.length} keys, usage ${usagePath})`,
  );
  const stop = async () => {
    await server.shutdown();
    model.dispose();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  if (Deno.build.os !== "windows") Deno.addSignalListener("SIGTERM", stop);
}

async function keysCommand(args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  if (sub !== "add") throw new UsageError(`Unknown keys command "${sub}": expected "add"`);
  const { values } = parseArgs({
    args: rest,
    options: {
      keys: { type: "string", default: "keys.json" },
      budget: { type: "string" },
      answer: { type: "string", default: "labels" },
      rate: { type: "string" },
      id: { type: "string" },
    },
  });
  if (values.budget === undefined) throw new UsageError("Missing --budget (images)");
  const answer = values.answer;
  if (answer !== "labels" && answer !== "probabilities") {
    throw new UsageError(`Invalid --answer: expected "labels" or "probabilities", got "${answer}"`);
  }
  const rate = values.rate === undefined ? null : Number(values.rate);
  if (rate !== null && !(Number.isFinite(rate) && rate > 0)) {
    throw new UsageError(`Invalid --rate: expected a positive number, got "${values.rate}"`);
  }
  const { key, record } = await addKey(values.keys!, {
    budget: int(values.budget, "--budget", 0),
    answer,
    rate,
    ...(values.id === undefined ? {} : { id: values.id }),
  });
  console.error(
    `added key "${record.id}" to ${values.keys} (budget ${record.budget} images, answer ${record.answer}, rate ${
      record.rate ?? "unlimited"
    }); it is shown once, store it now:`,
  );
  console.log(key);
}

async function reportCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      log: { type: "string" },
      bucket: { type: "string", default: "1" },
      svg: { type: "string" },
      json: { type: "string" },
    },
  });
  if (values.log === undefined) throw new UsageError("Missing --log FILE (the access log)");
  const bucket = Number(values.bucket);
  if (!(Number.isFinite(bucket) && bucket > 0)) {
    throw new UsageError(`Invalid --bucket: expected a positive number of seconds`);
  }
  const summary = summariseLog(
    parseAccessLog(await Deno.readTextFile(values.log), values.log),
    bucket,
  );
  console.log(formatSummaryTable(summary));
  console.log(formatSeriesTable(summary));
  if (values.json !== undefined) {
    await writeFileAtomic(values.json, JSON.stringify(summary, null, 2) + "\n");
  }
  if (values.svg !== undefined) {
    await writeFileAtomic(values.svg, await renderSvg(attackSpec(summary)));
  }
}

/** Runs the CLI; returns the exit code (the server keeps running after it returns 0). */
export async function main(args: string[]): Promise<number> {
  try {
    const [first, ...rest] = args;
    if (first === "keys") await keysCommand(rest);
    else if (first === "report") await reportCommand(rest);
    else await serve(args);
    return 0;
  } catch (error) {
    const known = error instanceof UsageError || error instanceof TypeError ||
      error instanceof RangeError;
    if (!known) throw error;
    console.error(`error: ${error.message}`);
    return 2;
  }
}

if (import.meta.main) {
  const code = await main(Deno.args);
  if (code !== 0) Deno.exit(code);
}
