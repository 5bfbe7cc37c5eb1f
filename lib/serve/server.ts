/**
 * The target as a prediction API on `Deno.serve`: `POST /v1/predict` (keys, budgets, rate
 * limits, body limits), `GET /v1/health`, `GET /v1/usage`, and an access log line per request.
 *
 * A predict request is authenticated, rate limited, then its body is read (at most `maxBody`
 * bytes) and checked; its images are counted against the key's budget synchronously (so
 * concurrent requests never overspend), predicted, and the answer is sent only once the usage
 * that includes them is durable on disk (`usage.ts`).
 *
 * @module
 */

import { argmaxRows, createProbs } from "../active/probs.ts";
import { AccessLog } from "./access_log.ts";
import type { KeyRecord, KeyRing } from "./keys.ts";
import { RateLimiter } from "./rate.ts";
import {
  type BatchLimits,
  mediaType,
  parseJsonBatch,
  parseRawBatch,
  readLimited,
  RequestError,
} from "./request.ts";
import type { UsageStore } from "./usage.ts";
import {
  type ErrorBody,
  HEALTH_PATH,
  type HealthBody,
  PREDICT_PATH,
  type PredictBody,
  SHAPE_HEADER,
  USAGE_PATH,
  type UsageBody,
} from "./wire.ts";

/** The model behind the API. */
export interface ServeModel {
  readonly classes: number;
  readonly height: number;
  readonly width: number;
  /** Probabilities, row-major `n × classes`, of `n` images of raw pixel bytes. */
  predictProba(pixels: Uint8Array, n: number): Float32Array;
}

/** Everything a handler needs. */
export interface ServerOptions {
  readonly model: ServeModel;
  readonly keys: KeyRing;
  readonly usage: UsageStore;
  /** Where access lines go (default: nowhere). */
  readonly log?: AccessLog;
  /** Most images per request. */
  readonly maxBatch: number;
  /** Most body bytes per request. */
  readonly maxBody: number;
  /** Clock of the rate limiter, in ms (default `performance.now`). */
  readonly now?: () => number;
  /** Where internal errors are reported (default stderr). */
  readonly onInternalError?: (error: unknown) => void;
}

/** What the handler learnt about a request, for the access log. */
interface Seen {
  key: string | null;
  asked: number;
  images: number;
}

const JSON_HEADERS = { "content-type": "application/json", "cache-control": "no-store" };

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { ...JSON_HEADERS, ...headers } });
}

function errorResponse(
  status: number,
  code: string,
  message: string,
  extra: {
    field?: string;
    remaining?: number;
    budget?: number;
    headers?: Record<string, string>;
  } = {},
): Response {
  const body: ErrorBody = {
    error: {
      status,
      code,
      message,
      ...(extra.field === undefined ? {} : { field: extra.field }),
      ...(extra.remaining === undefined ? {} : { remaining: extra.remaining }),
      ...(extra.budget === undefined ? {} : { budget: extra.budget }),
    },
  };
  return json(status, body, extra.headers);
}

/** What the endpoints share. */
interface Context {
  readonly options: ServerOptions;
  readonly limiter: RateLimiter;
  readonly limits: BatchLimits;
}

/** The key of `Authorization: Bearer <key>`, or a 401. */
async function authenticate(keys: KeyRing, request: Request): Promise<KeyRecord> {
  const header = request.headers.get("authorization");
  const m = header === null ? null : /^Bearer +([^\s]+) *$/i.exec(header);
  if (m === null) {
    throw new RequestError(
      401,
      "unauthorized",
      "Missing API key: expected the header Authorization: Bearer <key>",
      "Authorization",
    );
  }
  const record = await keys.find(m[1]!);
  if (record === null) {
    throw new RequestError(401, "unauthorized", "Unknown API key", "Authorization");
  }
  return record;
}

/** Authenticates and rate-limits a request (before its body is read). */
async function admit(ctx: Context, request: Request, seen: Seen): Promise<KeyRecord> {
  const record = await authenticate(ctx.options.keys, request);
  seen.key = record.id;
  const decision = ctx.limiter.take(record.id, record.rate);
  if (!decision.ok) {
    throw Object.assign(
      new RequestError(
        429,
        "rate_limited",
        `Rate limit: expected at most ${record.rate} requests per second; retry after ${decision.retryAfter} s`,
      ),
      { retryAfter: decision.retryAfter },
    );
  }
  return record;
}

/** `POST /v1/predict`. */
async function predict(ctx: Context, request: Request, seen: Seen): Promise<Response> {
  const { model, usage, maxBody } = ctx.options;
  const record = await admit(ctx, request, seen);
  const type = mediaType(request);
  if (type !== "application/json" && type !== "application/octet-stream") {
    throw new RequestError(
      415,
      "unsupported_media_type",
      `Unsupported Content-Type "${type}": expected application/json or application/octet-stream`,
      "Content-Type",
    );
  }
  const bytes = await readLimited(request, maxBody);
  const batch = type === "application/json"
    ? parseJsonBatch(bytes, ctx.limits)
    : parseRawBatch(bytes, request.headers.get(SHAPE_HEADER), ctx.limits);
  seen.asked = batch.n;
  // Counted synchronously: no other request can take the same images meanwhile.
  if (!usage.reserve(record.id, batch.n, record.budget)) {
    const remaining = record.budget - usage.used(record.id);
    return errorResponse(
      429,
      "budget_exceeded",
      `Query budget exceeded: asked for ${batch.n} images with ${remaining} of ${record.budget} left`,
      { remaining, budget: record.budget },
    );
  }
  let probs: Float32Array;
  try {
    probs = model.predictProba(batch.pixels, batch.n);
  } catch (error) {
    usage.release(record.id, batch.n);
    await usage.commit();
    throw error;
  }
  // Durable before the answer leaves. Should the write fail, the images stay counted (a 500,
  // never an answer whose query could be forgotten).
  await usage.commit();
  seen.images = batch.n;
  return json(200, answerBody(record, probs, batch.n, model.classes, usage.used(record.id)));
}

/** `GET /v1/usage`. */
async function usageOf(ctx: Context, request: Request, seen: Seen): Promise<Response> {
  const record = await admit(ctx, request, seen);
  const used = ctx.options.usage.used(record.id);
  const body: UsageBody = {
    id: record.id,
    answer: record.answer,
    budget: record.budget,
    used,
    remaining: Math.max(0, record.budget - used),
    rate: record.rate,
  };
  return json(200, body);
}

/** `GET /v1/health`. */
function health(ctx: Context): Response {
  const { model, maxBatch, maxBody } = ctx.options;
  const body: HealthBody = {
    status: "ok",
    image: [model.height, model.width],
    classes: model.classes,
    max_batch: maxBatch,
    max_body: maxBody,
  };
  return json(200, body);
}

type Endpoint = (ctx: Context, request: Request, seen: Seen) => Promise<Response> | Response;

const ROUTES: Readonly<Record<string, readonly [string, Endpoint]>> = {
  [HEALTH_PATH]: ["GET", health],
  [USAGE_PATH]: ["GET", usageOf],
  [PREDICT_PATH]: ["POST", predict],
};

function route(ctx: Context, request: Request, path: string, seen: Seen) {
  const found = Object.hasOwn(ROUTES, path) ? ROUTES[path] : undefined;
  if (found === undefined) {
    return errorResponse(404, "not_found", `No such endpoint "${path}"`, { field: "path" });
  }
  if (request.method !== found[0]) {
    return errorResponse(
      405,
      "method_not_allowed",
      `Method ${request.method} not allowed on ${path}: expected ${found[0]}`,
      { field: "method", headers: { allow: found[0] } },
    );
  }
  return found[1](ctx, request, seen);
}

/** Builds the request handler (no socket: `Deno.serve` or a test calls it). */
export function createHandler(options: ServerOptions): (request: Request) => Promise<Response> {
  const { model, maxBatch } = options;
  const ctx: Context = {
    options,
    limiter: new RateLimiter(options.now),
    limits: { height: model.height, width: model.width, maxBatch },
  };
  const report = options.onInternalError ?? ((e) => console.error("internal error:", e));
  return async (request: Request): Promise<Response> => {
    const started = performance.now();
    const time = new Date().toISOString();
    const seen: Seen = { key: null, asked: 0, images: 0 };
    let path = "";
    let response: Response;
    try {
      path = new URL(request.url).pathname;
      response = await route(ctx, request, path, seen);
    } catch (error) {
      response = refusal(error, report);
    }
    options.log?.write({
      time,
      key: seen.key,
      method: request.method,
      path,
      status: response.status,
      asked: seen.asked,
      images: seen.images,
      latency_ms: Math.round((performance.now() - started) * 100) / 100,
    });
    return response;
  };
}

function refusal(error: unknown, report: (e: unknown) => void): Response {
  if (!(error instanceof RequestError)) {
    report(error);
    return errorResponse(500, "internal_error", "Internal error: the request was not answered");
  }
  const retryAfter = (error as { retryAfter?: number }).retryAfter;
  const headers: Record<string, string> = {};
  if (retryAfter !== undefined) headers["retry-after"] = String(retryAfter);
  if (error.status === 401) headers["www-authenticate"] = 'Bearer realm="quarry"';
  return errorResponse(error.status, error.code, error.message, {
    ...(error.field === undefined ? {} : { field: error.field }),
    headers,
  });
}

function answerBody(
  record: KeyRecord,
  probs: Float32Array,
  n: number,
  classes: number,
  used: number,
): PredictBody {
  const remaining = Math.max(0, record.budget - used);
  if (record.answer === "labels") {
    const labels = Array.from(argmaxRows(createProbs(probs, classes)));
    return { answer: "labels", labels, images: n, used, remaining };
  }
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) rows.push(Array.from(probs.subarray(i * classes, (i + 1) * classes)));
  return { answer: "probabilities", probabilities: rows, images: n, used, remaining };
}

/** A listening server. */
export interface RunningServer {
  /** `http://host:port`. */
  readonly url: string;
  readonly port: number;
  /** Stops accepting, finishes in-flight requests, closes the log. */
  shutdown(): Promise<void>;
}

/** Starts `Deno.serve` with {@linkcode createHandler} on `hostname:port` (port 0: any free). */
export function startServer(
  options: ServerOptions & { hostname: string; port: number },
): Promise<RunningServer> {
  const handler = createHandler(options);
  return new Promise((resolve) => {
    const server = Deno.serve({
      hostname: options.hostname,
      port: options.port,
      onListen: (addr) => {
        const host = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
        resolve({
          url: `http://${host}:${addr.port}`,
          port: addr.port,
          shutdown: async () => {
            await server.shutdown();
            options.log?.close();
          },
        });
      },
      onError: () =>
        errorResponse(500, "internal_error", "Internal error: the request was not answered"),
    }, handler);
  });
}
