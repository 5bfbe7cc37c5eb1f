/**
 * The oracle as an HTTP client of `deno task serve` (`lib/serve/`): the same {@linkcode Oracle}
 * the loop uses in-process, with a {@linkcode Target} that posts the images to
 * `POST /v1/predict` as raw bytes. It retries on 429 rate limits and 5xx answers (waiting what
 * `Retry-After` says, at most `maxWaitS` seconds, at most `retries` times) and turns the
 * server's budget refusal into {@linkcode BudgetExceededError}.
 *
 * Probabilities come back as JSON numbers; each is a float32 value written exactly, so the rows
 * are the server's bits and a run against the server gives the traces of a run in-process.
 *
 * @module
 */

import {
  formatShapeHeader,
  HEALTH_PATH,
  type HealthBody,
  PREDICT_PATH,
  type PredictBody,
  SHAPE_HEADER,
} from "../serve/wire.ts";
import { type AnswerKind, BudgetExceededError, Oracle, type Target } from "./oracle.ts";

/** Options of {@linkcode httpTarget} and {@linkcode createHttpOracle}. */
export interface HttpOracleOptions {
  /** The server's base URL, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  /** The API key (from the environment, never from params). */
  readonly key: string;
  /** `[height, width]` of one image. */
  readonly image: readonly [number, number];
  /** Number of classes. */
  readonly classes: number;
  /** Most images per request (default: the server's `max_batch` from `GET /v1/health`). */
  readonly maxBatch?: number;
  /** Retries of one request on 429 rate limits, 5xx and network errors (default 5). */
  readonly retries?: number;
  /** Longest wait between retries, seconds (default 30). */
  readonly maxWaitS?: number;
  /** Refuse answers of a key whose plan gives top-1 labels only (default false). */
  readonly requireProbabilities?: boolean;
  /** Injected for tests; defaults to `fetch` and `setTimeout`. */
  readonly fetch?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** An answer the server refused for good (not retried). */
export class OracleHttpError extends Error {
  /** The HTTP status. */
  readonly status: number;
  /** Builds the error. */
  constructor(status: number, message: string) {
    super(message);
    this.name = "OracleHttpError";
    this.status = status;
  }
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Seconds of a `Retry-After` header (delay-seconds form); `null` when absent or malformed. */
export function retryAfterSeconds(value: string | null): number | null {
  if (value === null || !/^\s*[0-9]+\s*$/.test(value)) return null;
  return Number(value);
}

/**
 * The server's `max_batch`, after checking that it serves images of this size and this many
 * classes (so that a wrong URL fails at once, naming both shapes).
 */
async function serverMaxBatch(options: HttpOracleOptions): Promise<number> {
  const url = new URL(HEALTH_PATH, options.url).href;
  const response = await (options.fetch ?? fetch)(url);
  if (!response.ok) {
    await response.body?.cancel();
    throw new OracleHttpError(response.status, `Oracle ${url} answered ${response.status}`);
  }
  const health = await response.json() as HealthBody;
  const [h, w] = options.image;
  if (health.classes !== options.classes || health.image?.[0] !== h || health.image?.[1] !== w) {
    throw new TypeError(
      `Invalid oracle ${options.url}: it serves ${
        JSON.stringify(health.image)
      } images and ${health.classes} classes, expected [${h},${w}] and ${options.classes}`,
    );
  }
  return health.max_batch;
}

/**
 * The server as a {@linkcode Target}: images in, probability rows (or one-hot labels) out.
 * Batches larger than the server's `max_batch` are split; a row's probabilities do not depend on
 * the rows beside it (checked for LeNet on wasm; `tests/active/http_oracle_test.ts`), so the split changes no
 * bit.
 */
export function httpTarget(options: HttpOracleOptions): Target {
  const [height, width] = options.image;
  const size = height * width;
  let maxBatch: number | undefined = options.maxBatch;
  return {
    async predictProba(images: Uint8Array, count: number): Promise<Float32Array> {
      maxBatch ??= await serverMaxBatch(options);
      const out = new Float32Array(count * options.classes);
      for (let start = 0; start < count; start += maxBatch) {
        const n = Math.min(maxBatch, count - start);
        const part = images.subarray(start * size, (start + n) * size);
        out.set(await postBatch(options, part, n), start * options.classes);
      }
      return out;
    },
  };
}

async function postBatch(
  options: HttpOracleOptions,
  pixels: Uint8Array,
  n: number,
): Promise<Float32Array> {
  const doFetch = options.fetch ?? fetch;
  const sleep = options.sleep ?? defaultSleep;
  const retries = options.retries ?? 5;
  const maxWaitS = options.maxWaitS ?? 30;
  const url = new URL(PREDICT_PATH, options.url).href;
  for (let attempt = 0;; attempt++) {
    let response: Response;
    try {
      response = await doFetch(url, {
        method: "POST",
        headers: {
          authorization: `Bearer ${options.key}`,
          "content-type": "application/octet-stream",
          [SHAPE_HEADER]: formatShapeHeader(n, options.image[0], options.image[1]),
        },
        body: pixels as Uint8Array<ArrayBuffer>,
      });
    } catch (error) {
      // A sandbox without the host under `net:` refuses for good: waiting would not help.
      if (attempt >= retries || isPermissionError(error)) throw error;
      await sleep(Math.min(maxWaitS, 2 ** attempt) * 1000);
      continue;
    }
    if (response.ok) return decodeAnswer(await response.json(), n, options);
    const body = await response.json().catch(() => null) as
      | { error?: { code?: string; message?: string; remaining?: number; budget?: number } }
      | null;
    const code = body?.error?.code;
    if (response.status === 429 && code === "budget_exceeded") {
      const remaining = body?.error?.remaining ?? 0;
      throw new BudgetExceededError(n, remaining, body?.error?.budget ?? remaining);
    }
    const transient = response.status === 429 || response.status >= 500;
    if (!transient || attempt >= retries) {
      throw new OracleHttpError(
        response.status,
        `Oracle ${url} answered ${response.status}${
          transient ? ` after ${attempt + 1} attempts` : ""
        }: ${body?.error?.message ?? response.statusText}`,
      );
    }
    const wait = retryAfterSeconds(response.headers.get("retry-after")) ?? 2 ** attempt;
    await sleep(Math.min(maxWaitS, Math.max(0, wait)) * 1000);
  }
}

function isPermissionError(error: unknown): boolean {
  return error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied;
}

function decodeAnswer(body: PredictBody, n: number, options: HttpOracleOptions): Float32Array {
  const { classes } = options;
  if (options.requireProbabilities && body.answer !== "probabilities") {
    throw new TypeError(
      `Invalid oracle answer from ${options.url}: the key answers ${
        JSON.stringify(body.answer)
      }, but active.answer is "probabilities"`,
    );
  }
  const out = new Float32Array(n * classes);
  if (body.answer === "probabilities" && Array.isArray(body.probabilities)) {
    if (body.probabilities.length !== n) throw answerError(n, body.probabilities.length);
    body.probabilities.forEach((row, i) => {
      if (!Array.isArray(row) || row.length !== classes) throw answerError(n, -1, classes);
      out.set(row, i * classes);
    });
    return out;
  }
  if (body.answer === "labels" && Array.isArray(body.labels)) {
    if (body.labels.length !== n) throw answerError(n, body.labels.length);
    body.labels.forEach((label, i) => {
      if (!Number.isInteger(label) || label < 0 || label >= classes) {
        throw answerError(n, -1, classes);
      }
      out[i * classes + label] = 1;
    });
    return out;
  }
  throw new TypeError(`Invalid oracle answer: expected "labels" or "probabilities" rows`);
}

function answerError(n: number, got: number, classes?: number): TypeError {
  return new TypeError(
    classes === undefined
      ? `Invalid oracle answer: expected ${n} rows, got ${got}`
      : `Invalid oracle answer: expected rows of ${classes} classes`,
  );
}

/** Options of {@linkcode createHttpOracle}: the target's and the oracle's. */
export interface CreateHttpOracleOptions extends HttpOracleOptions {
  /** Images the loop means to spend (the server's budget is the one that binds). */
  readonly budget: number;
  /** What the loop expects; `probabilities` from a key that answers labels is refused. */
  readonly answer: AnswerKind;
}

/**
 * An {@linkcode Oracle} backed by the server. The local budget is the loop's plan; the server's
 * refusal, when it comes first, is a {@linkcode BudgetExceededError} too.
 */
export function createHttpOracle(options: CreateHttpOracleOptions): Oracle {
  const target = httpTarget({
    ...options,
    requireProbabilities: options.answer === "probabilities",
  });
  return new Oracle(target, {
    budget: options.budget,
    answer: options.answer,
    classes: options.classes,
    imageSize: options.image[0] * options.image[1],
  });
}
