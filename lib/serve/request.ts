/**
 * Reading and checking `POST /v1/predict` bodies: a body over `--max-body` bytes is refused as
 * soon as its `Content-Length` says so or as soon as that many bytes have arrived (never read
 * whole); JSON and raw bodies are checked field by field, and every failure names its field.
 *
 * @module
 */

import { decodeBase64, parseShapeHeader, SHAPE_HEADER } from "./wire.ts";

/** A refusal, turned into a JSON error answer by the server. */
export class RequestError extends Error {
  /** The HTTP status. */
  readonly status: number;
  /** The error code of the body. */
  readonly code: string;
  /** The request field at fault. */
  readonly field: string | undefined;
  /** Builds the refusal. */
  constructor(status: number, code: string, message: string, field?: string) {
    super(message);
    this.name = "RequestError";
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

const bad = (field: string, message: string) =>
  new RequestError(400, "bad_request", message, field);

/**
 * The body's bytes, at most `maxBody` of them.
 *
 * @throws {RequestError} 413 as soon as the declared or received length passes `maxBody`.
 */
export async function readLimited(request: Request, maxBody: number): Promise<Uint8Array> {
  const declared = request.headers.get("content-length");
  if (declared !== null && /^[0-9]+$/.test(declared) && Number(declared) > maxBody) {
    throw tooLarge(maxBody);
  }
  if (request.body === null) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > maxBody) {
      await reader.cancel().catch(() => {});
      throw tooLarge(maxBody);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

function tooLarge(maxBody: number): RequestError {
  return new RequestError(
    413,
    "body_too_large",
    `Request body too large: expected at most ${maxBody} bytes (--max-body)`,
    "body",
  );
}

/** What the model expects of a batch. */
export interface BatchLimits {
  readonly height: number;
  readonly width: number;
  /** Most images in one request. */
  readonly maxBatch: number;
}

/** A checked batch: `n` images of `height × width` bytes each. */
export interface Batch {
  readonly n: number;
  readonly pixels: Uint8Array;
}

function checkShape(shape: unknown, field: string, limits: BatchLimits): number {
  const { height, width, maxBatch } = limits;
  const expected = `[N, ${height}, ${width}] with 1 <= N <= ${maxBatch}`;
  if (
    !Array.isArray(shape) || shape.length !== 3 ||
    !shape.every((d) => Number.isSafeInteger(d) && d >= 0)
  ) {
    throw bad(field, `Invalid ${field}: expected ${expected}, got ${JSON.stringify(shape)}`);
  }
  const [n, h, w] = shape as number[];
  if (h !== height || w !== width) {
    throw bad(field, `Invalid ${field}: expected images of ${height}x${width}, got ${h}x${w}`);
  }
  if (n! < 1) throw bad(field, `Invalid ${field}: expected at least 1 image, got an empty batch`);
  if (n! > maxBatch) {
    throw bad(
      field,
      `Invalid ${field}: expected at most ${maxBatch} images (--max-batch), got ${n}`,
    );
  }
  return n!;
}

/** Checks an `application/json` body. */
export function parseJsonBatch(bytes: Uint8Array, limits: BatchLimits): Batch {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (error) {
    throw bad("body", `Invalid body: expected JSON, got ${(error as Error).message}`);
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw bad("body", `Invalid body: expected a JSON object with "shape" and "pixels"`);
  }
  const { shape, pixels } = json as Record<string, unknown>;
  const n = checkShape(shape, "shape", limits);
  const size = n * limits.height * limits.width;
  if (typeof pixels === "string") {
    const decoded = decodeBase64(pixels);
    if (decoded === null) {
      throw bad("pixels", "Invalid pixels: expected standard padded base64 of uint8 pixels");
    }
    if (decoded.length !== size) {
      throw bad(
        "pixels",
        `Invalid pixels: expected ${size} bytes for shape, got ${decoded.length}`,
      );
    }
    return { n, pixels: decoded };
  }
  if (!Array.isArray(pixels)) {
    throw bad("pixels", "Invalid pixels: expected a base64 string or a flat list of integers");
  }
  if (pixels.length !== size) {
    throw bad("pixels", `Invalid pixels: expected ${size} values for shape, got ${pixels.length}`);
  }
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    const p = pixels[i];
    if (typeof p !== "number" || !Number.isInteger(p) || p < 0 || p > 255) {
      throw bad(
        `pixels[${i}]`,
        `Invalid pixels[${i}]: expected an integer 0-255, got ${JSON.stringify(p)}`,
      );
    }
    out[i] = p;
  }
  return { n, pixels: out };
}

/** Checks an `application/octet-stream` body with its `X-Shape` header. */
export function parseRawBatch(
  bytes: Uint8Array,
  shapeHeader: string | null,
  limits: BatchLimits,
): Batch {
  if (shapeHeader === null) {
    throw bad(SHAPE_HEADER, `Missing ${SHAPE_HEADER} header: expected "N,H,W"`);
  }
  const shape = parseShapeHeader(shapeHeader);
  if (shape === null) {
    throw bad(SHAPE_HEADER, `Invalid ${SHAPE_HEADER}: expected "N,H,W", got "${shapeHeader}"`);
  }
  const n = checkShape(shape, SHAPE_HEADER, limits);
  const size = n * limits.height * limits.width;
  if (bytes.length !== size) {
    throw bad("body", `Invalid body: expected ${size} pixel bytes for shape, got ${bytes.length}`);
  }
  return { n, pixels: bytes };
}

/** The media type of a request, lowercased, without parameters; "" when absent. */
export function mediaType(request: Request): string {
  return (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
}
