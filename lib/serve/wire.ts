/**
 * The prediction API's wire format, shared by the server (`server.ts`) and the HTTP oracle
 * (`lib/active/http_oracle.ts`): paths, the shape header, base64, and the JSON bodies.
 *
 * Requests to `POST /v1/predict` are either
 * - `application/json`: `{"shape": [N, H, W], "pixels": "<base64 of N·H·W bytes>"}` (or `pixels`
 *   as a flat array of N·H·W integers 0–255), or
 * - `application/octet-stream`: the N·H·W raw pixel bytes, row-major, with `X-Shape: N,H,W`.
 *
 * Answers are JSON: `{"answer": "labels", "labels": [..]}` or
 * `{"answer": "probabilities", "probabilities": [[..], ..]}`, plus `images`, `used` and
 * `remaining`. Probabilities are float32 values written as JSON numbers: every float32 is
 * exactly a double, and JSON's shortest round-trip form of a double parses back to the same
 * double, so `Math.fround` of the parsed number gives back the server's bits.
 *
 * @module
 */

import { Buffer } from "node:buffer";

/** The prediction endpoint. */
export const PREDICT_PATH = "/v1/predict";
/** The unauthenticated liveness endpoint. */
export const HEALTH_PATH = "/v1/health";
/** The calling key's usage. */
export const USAGE_PATH = "/v1/usage";
/** The header carrying the batch shape of an `application/octet-stream` body. */
export const SHAPE_HEADER = "X-Shape";

/** What a key's plan answers. */
export type PlanAnswer = "labels" | "probabilities";

/** The JSON error body of every non-2xx answer. */
export interface ErrorBody {
  readonly error: {
    /** The HTTP status, repeated. */
    readonly status: number;
    /** A stable machine-readable code, e.g. `"bad_request"`, `"budget_exceeded"`. */
    readonly code: string;
    /** The request field at fault (`"shape"`, `"pixels[17]"`, `"X-Shape"`), when there is one. */
    readonly field?: string;
    /** What was wrong and what was expected. */
    readonly message: string;
    /** Images the key may still ask for (budget refusals and usage). */
    readonly remaining?: number;
    /** The key's budget (budget refusals). */
    readonly budget?: number;
  };
}

/** The body of a successful `POST /v1/predict`. */
export interface PredictBody {
  readonly answer: PlanAnswer;
  /** Top-1 class per image (answer `labels`). */
  readonly labels?: number[];
  /** One probability row per image (answer `probabilities`). */
  readonly probabilities?: number[][];
  /** Images answered by this request. */
  readonly images: number;
  /** Images the key has spent, this request included. */
  readonly used: number;
  /** Images the key may still ask for. */
  readonly remaining: number;
}

/** The body of `GET /v1/usage`. */
export interface UsageBody {
  readonly id: string;
  readonly answer: PlanAnswer;
  readonly budget: number;
  readonly used: number;
  readonly remaining: number;
  /** Requests per second allowed (null: no rate limit). */
  readonly rate: number | null;
}

/** The body of `GET /v1/health`. */
export interface HealthBody {
  readonly status: "ok";
  /** `[H, W]` of one image. */
  readonly image: [number, number];
  readonly classes: number;
  /** Most images in one request. */
  readonly max_batch: number;
  /** Most body bytes in one request. */
  readonly max_body: number;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Decodes strict base64 (standard alphabet, padded); `null` when the text is not base64.
 *
 * @example Usage
 * ```ts
 * import { decodeBase64, encodeBase64 } from "./wire.ts";
 * console.assert(decodeBase64(encodeBase64(new Uint8Array([0, 255])))?.[1] === 255);
 * console.assert(decodeBase64("not base64!") === null);
 * ```
 */
export function decodeBase64(text: string): Uint8Array | null {
  if (text.length % 4 !== 0 || !BASE64.test(text)) return null;
  const buf = Buffer.from(text, "base64");
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Encodes bytes as standard padded base64. */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

/**
 * Parses an `X-Shape` value `N,H,W` (decimal integers, N >= 0); `null` when malformed.
 *
 * @example Usage
 * ```ts
 * import { parseShapeHeader } from "./wire.ts";
 * console.assert(parseShapeHeader("2, 28,28")?.join() === "2,28,28");
 * console.assert(parseShapeHeader("2x28x28") === null);
 * ```
 */
export function parseShapeHeader(value: string): [number, number, number] | null {
  const parts = value.split(",").map((p) => p.trim());
  if (parts.length !== 3 || !parts.every((p) => /^[0-9]{1,9}$/.test(p))) return null;
  return parts.map(Number) as [number, number, number];
}

/** Formats a shape for the `X-Shape` header. */
export function formatShapeHeader(n: number, height: number, width: number): string {
  return `${n},${height},${width}`;
}
