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

/** `lib/serve/cli.ts`, for tests that run the CLI as a child process. */
export const CLI = new URL("../../lib/serve/cli.ts", import.meta.url).pathname;

/** Starts the CLI on port 0 and waits for its "listening on" line. */
export async function spawnServer(
  args: string[],
): Promise<{ child: Deno.ChildProcess; url: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-write", "--allow-net", "--allow-env", CLI, ...args],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const text = child.stdout.pipeThrough(new TextDecoderStream());
  const reader = text.getReader();
  let seen = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) {
      await child.status;
      throw new Error(`server exited before listening: ${seen}`);
    }
    seen += value;
    const m = /listening on (http:\/\/127\.0\.0\.1:[0-9]+)/.exec(seen);
    if (m !== null) {
      reader.releaseLock();
      // Keep draining stdout so the child never blocks on a full pipe.
      text.pipeTo(new WritableStream()).catch(() => {});
      return { child, url: m[1]! };
    }
  }
}
