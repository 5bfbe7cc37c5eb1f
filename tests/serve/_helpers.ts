/** Shared fixtures of the serve tests: a tiny target, keys files, an in-process server. */
import { join } from "node:path";
import { createClassifier, initBackend, type ModelSpec } from "../../lib/ml/mod.ts";
import { hashKey, KeyRing, parseKeysFile } from "../../lib/serve/keys.ts";
import { AccessLog } from "../../lib/serve/access_log.ts";
import { loadServeModel } from "../../lib/serve/model.ts";
import { type RunningServer, type ServeModel, startServer } from "../../lib/serve/server.ts";
import { UsageStore } from "../../lib/serve/usage.ts";
import { createRng } from "../../lib/util/random.ts";
import type { PlanAnswer } from "../../lib/serve/wire.ts";

/** A tiny LeNet-shaped model: fast enough for hundreds of requests. */
export const TINY: ModelSpec = {
  input: [28, 28, 1],
  conv: [{ filters: 2, kernel: 5, pool: 4 }],
  dense: [8],
  classes: 10,
};

/** Writes seeded TINY weights to `dir/model.weights` and returns the path. */
export async function writeTinyWeights(dir: string, seed = 3): Promise<string> {
  await initBackend();
  const model = createClassifier(TINY, { seed });
  const path = join(dir, "model.weights");
  await Deno.writeFile(path, model.saveWeights());
  model.dispose();
  return path;
}

/** A key of a test keys file: the secret and its plan. */
export interface TestKey {
  readonly id: string;
  readonly key: string;
  readonly budget: number;
  readonly answer: PlanAnswer;
  readonly rate?: number | null;
}

/** Writes a keys file for `keys` (hashes only) and returns its path. */
export async function writeKeysFile(dir: string, keys: readonly TestKey[]): Promise<string> {
  const records = [];
  for (const k of keys) {
    records.push({
      id: k.id,
      sha256: await hashKey(k.key),
      budget: k.budget,
      answer: k.answer,
      rate: k.rate ?? null,
    });
  }
  const path = join(dir, "keys.json");
  await Deno.writeTextFile(path, JSON.stringify(parseKeysFile({ version: 1, keys: records })));
  return path;
}

/** Seeded random images, `n × 784` bytes. */
export function randomImages(n: number, seed: number): Uint8Array {
  const rng = createRng(seed);
  const out = new Uint8Array(n * 784);
  for (let i = 0; i < out.length; i++) out[i] = rng.int(256);
  return out;
}

/** An in-process server on 127.0.0.1, port 0, with its files in `dir`. */
export interface TestServer extends RunningServer {
  readonly dir: string;
  readonly usagePath: string;
  readonly logPath: string;
  /** Shuts the server down, frees the model and removes `dir`. */
  close(): Promise<void>;
}

/** Starts a server on a fresh temp folder; always `close()` it. */
export async function startTestServer(
  keys: readonly TestKey[],
  options: { maxBatch?: number; maxBody?: number; model?: ServeModel; now?: () => number } = {},
): Promise<TestServer> {
  const dir = await Deno.makeTempDir({ prefix: "quarry-serve-" });
  const weights = await writeTinyWeights(dir);
  const loaded = await loadServeModel(weights);
  const keysPath = await writeKeysFile(dir, keys);
  const usagePath = join(dir, "usage.json");
  const logPath = join(dir, "access.jsonl");
  const server = await startServer({
    model: options.model ?? loaded,
    keys: new KeyRing(parseKeysFile(JSON.parse(await Deno.readTextFile(keysPath)))),
    usage: await UsageStore.open(usagePath),
    log: new AccessLog(logPath),
    maxBatch: options.maxBatch ?? 100,
    maxBody: options.maxBody ?? 200_000,
    hostname: "127.0.0.1",
    port: 0,
    ...(options.now === undefined ? {} : { now: options.now }),
    onInternalError: () => {},
  });
  return {
    ...server,
    dir,
    usagePath,
    logPath,
    async close() {
      await server.shutdown();
      loaded.dispose();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** POSTs raw images with `X-Shape`; returns status, headers and parsed JSON body. */
export async function postRaw(
  url: string,
  key: string | null,
  pixels: Uint8Array,
  shape: string,
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const headers: Record<string, string> = {
    "content-type": "application/octet-stream",
    "x-shape": shape,
  };
  if (key !== null) headers.authorization = `Bearer ${key}`;
  const response = await fetch(`${url}/v1/predict`, {
    method: "POST",
    headers,
    body: pixels as Uint8Array<ArrayBuffer>,
  });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

/** POSTs a JSON body (a string is sent as is). */
export async function postJson(
  url: string,
  key: string | null,
  body: unknown,
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (key !== null) headers.authorization = `Bearer ${key}`;
  const response = await fetch(`${url}/v1/predict`, {
    method: "POST",
    headers,
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

/** GETs `/v1/usage` with `key`; the response is the caller's to read or cancel. */
export function getUsage(url: string, key: string): Promise<Response> {
  return fetch(`${url}/v1/usage`, { headers: { authorization: `Bearer ${key}` } });
}

/** The CLI entry and its starter, for tests that run the CLI as a child process. */
export { CLI, spawnServer } from "../../lib/serve/spawn.ts";
