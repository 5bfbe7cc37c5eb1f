/**
 * A compact binary file for a few named tensors (dataset splits, model weights): an 8-byte magic,
 * a JSON header, then the raw little-endian bytes of each tensor, 8-byte aligned. The same
 * tensors and metadata always give the same bytes (sorted JSON keys, zero padding), so the files
 * hash stably and can be compared byte for byte.
 *
 * Layout:
 * - bytes 0..7: ASCII `QTENSOR1`
 * - bytes 8..11: header length H (uint32, little-endian); bytes 12..15: zero
 * - bytes 16..16+H: UTF-8 JSON `{"meta":{…},"tensors":[{"byteLength","dtype","name","offset","shape"}…]}`,
 *   padded with spaces so that the data starts 8-byte aligned
 * - then the data; `offset` counts from the start of the data.
 *
 * @module
 */

import { canonicalJson, type JsonValue } from "../util/json.ts";
import { writeFileAtomic } from "../util/fs.ts";

/** Element types a tensor file can hold. */
export type TensorDType = "uint8" | "int32" | "float32";

/** The typed array for each element type. */
export type TensorData = Uint8Array | Int32Array | Float32Array;

/** One named tensor. */
export interface NamedTensor {
  /** Unique name within the file, e.g. `images` or `conv1/kernel`. */
  readonly name: string;
  /** Dimensions, outermost first; their product is `data.length`. */
  readonly shape: readonly number[];
  /** The values, row-major. */
  readonly data: TensorData;
}

/** The content of a tensor file. */
export interface TensorFile {
  /** Free-form JSON metadata (e.g. dataset name, class names, model spec). */
  readonly meta: { readonly [key: string]: JsonValue };
  /** The tensors, in file order. */
  readonly tensors: readonly NamedTensor[];
}

const MAGIC = "QTENSOR1";
const PREFIX = 16;

if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) {
  throw new Error("Quarry tensor files need a little-endian platform");
}

function dtypeOf(data: TensorData): TensorDType {
  if (data instanceof Uint8Array) return "uint8";
  if (data instanceof Int32Array) return "int32";
  if (data instanceof Float32Array) return "float32";
  throw new TypeError("Invalid tensor data: expected Uint8Array, Int32Array or Float32Array");
}

const BYTES: Record<TensorDType, number> = { uint8: 1, int32: 4, float32: 4 };

const align8 = (n: number): number => Math.ceil(n / 8) * 8;

function checkShape(shape: readonly number[], where: string): number {
  let size = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new TypeError(
        `Invalid shape of ${where}: expected non-negative integers, got [${shape}]`,
      );
    }
    size *= d;
  }
  return size;
}

/**
 * Encodes tensors and metadata into the file format, deterministically.
 *
 * @example
 * ```ts
 * import { decodeTensorFile, encodeTensorFile } from "./tensor_file.ts";
 * const bytes = encodeTensorFile({
 *   meta: { note: "x" },
 *   tensors: [{ name: "w", shape: [2], data: new Float32Array([1, 2]) }],
 * });
 * console.assert(decodeTensorFile(bytes).tensors[0]!.data[1] === 2);
 * ```
 *
 * @throws {TypeError} when a shape does not match its data or names repeat.
 */
export function encodeTensorFile(file: TensorFile): Uint8Array {
  const names = new Set<string>();
  let offset = 0;
  const entries = file.tensors.map((t) => {
    if (names.has(t.name)) throw new TypeError(`Duplicate tensor name "${t.name}"`);
    names.add(t.name);
    const size = checkShape(t.shape, `tensor "${t.name}"`);
    if (size !== t.data.length) {
      throw new TypeError(
        `Invalid tensor "${t.name}": shape [${t.shape}] holds ${size} values, data has ${t.data.length}`,
      );
    }
    const dtype = dtypeOf(t.data);
    const entry = {
      byteLength: size * BYTES[dtype],
      dtype,
      name: t.name,
      offset,
      shape: [...t.shape],
    };
    offset = align8(offset + entry.byteLength);
    return entry;
  });
  const json = canonicalJson({ meta: file.meta, tensors: entries });
  let header = new TextEncoder().encode(json);
  const padded = align8(header.length);
  if (padded !== header.length) {
    header = new TextEncoder().encode(json + " ".repeat(padded - header.length));
  }
  const out = new Uint8Array(PREFIX + header.length + offset);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(8, header.length, true);
  out.set(header, PREFIX);
  const base = PREFIX + header.length;
  file.tensors.forEach((t, i) => {
    const e = entries[i]!;
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, e.byteLength), base + e.offset);
  });
  return out;
}

function view(bytes: Uint8Array, start: number, dtype: TensorDType, length: number): TensorData {
  const abs = bytes.byteOffset + start;
  if (dtype === "uint8") return bytes.subarray(start, start + length);
  const Ctor = dtype === "int32" ? Int32Array : Float32Array;
  if (abs % 4 === 0) return new Ctor(bytes.buffer as ArrayBuffer, abs, length);
  return new Ctor(bytes.slice(start, start + length * 4).buffer);
}

/**
 * Decodes a tensor file. Tensor data are views into `bytes` where alignment allows.
 *
 * @throws {RangeError} on a wrong magic, a bad header or data running past the end; the message
 * names `source`.
 */
export function decodeTensorFile(bytes: Uint8Array, source = "tensor file"): TensorFile {
  const fail = (what: string): never => {
    throw new RangeError(`Invalid tensor file "${source}": ${what}`);
  };
  if (bytes.length < PREFIX || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) {
    fail(`expected magic "${MAGIC}" and a ${PREFIX}-byte prefix`);
  }
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    .getUint32(8, true);
  if (PREFIX + headerLength > bytes.length) {
    fail(`header of ${headerLength} bytes runs past the end (${bytes.length} bytes)`);
  }
  let header: { meta?: unknown; tensors?: unknown };
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(PREFIX, PREFIX + headerLength)));
  } catch (error) {
    return fail(`header is not JSON (${(error as Error).message})`);
  }
  if (typeof header !== "object" || header === null || !Array.isArray(header.tensors)) {
    fail(`expected a header object with a "tensors" array`);
  }
  const base = PREFIX + headerLength;
  const tensors = (header.tensors as unknown[]).map((raw, i): NamedTensor => {
    const e = raw as { name?: unknown; dtype?: unknown; shape?: unknown; offset?: unknown };
    if (typeof e.name !== "string" || !Array.isArray(e.shape) || typeof e.offset !== "number") {
      return fail(`tensor ${i}: expected name, shape and offset`);
    }
    if (e.dtype !== "uint8" && e.dtype !== "int32" && e.dtype !== "float32") {
      return fail(`tensor "${e.name}": expected dtype uint8, int32 or float32, got ${e.dtype}`);
    }
    const size = checkShape(e.shape as number[], `tensor "${e.name}" in "${source}"`);
    const start = base + e.offset;
    const end = start + size * BYTES[e.dtype];
    if (!Number.isSafeInteger(e.offset) || e.offset < 0 || end > bytes.length) {
      fail(`tensor "${e.name}" runs past the end (needs ${end} bytes, file has ${bytes.length})`);
    }
    return { name: e.name, shape: e.shape as number[], data: view(bytes, start, e.dtype, size) };
  });
  const meta = (header.meta ?? {}) as { [key: string]: JsonValue };
  return { meta, tensors };
}

/** Writes a tensor file atomically. */
export async function writeTensorFile(path: string, file: TensorFile): Promise<void> {
  await writeFileAtomic(path, encodeTensorFile(file));
}

/** Reads a tensor file. See {@linkcode decodeTensorFile}. */
export async function readTensorFile(path: string): Promise<TensorFile> {
  return decodeTensorFile(await Deno.readFile(path), path);
}

/** Expectations for {@linkcode getTensor}. */
export interface TensorExpectation {
  /** Required element type. */
  readonly dtype?: TensorDType;
  /** Required dimensions; `undefined` entries are free. */
  readonly shape?: readonly (number | undefined)[];
}

/**
 * Finds a tensor by name and checks its type and shape.
 *
 * @throws {TypeError} when it is missing or has the wrong dtype or shape.
 */
export function getTensor(
  file: TensorFile,
  name: string,
  expect: TensorExpectation = {},
  source = "tensor file",
): NamedTensor {
  const t = file.tensors.find((x) => x.name === name);
  if (t === undefined) {
    throw new TypeError(
      `Missing tensor "${name}" in "${source}": found ${
        file.tensors.map((x) => `"${x.name}"`).join(", ") || "none"
      }`,
    );
  }
  if (expect.dtype !== undefined && dtypeOf(t.data) !== expect.dtype) {
    throw new TypeError(
      `Invalid tensor "${name}" in "${source}": expected dtype ${expect.dtype}, got ${
        dtypeOf(t.data)
      }`,
    );
  }
  const want = expect.shape;
  if (
    want !== undefined &&
    (want.length !== t.shape.length || want.some((d, i) => d !== undefined && d !== t.shape[i]))
  ) {
    throw new TypeError(
      `Invalid tensor "${name}" in "${source}": expected shape [${
        want.map((d) => d ?? "*")
      }], got [${t.shape}]`,
    );
  }
  return t;
}
