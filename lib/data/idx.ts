/**
 * Reader for IDX files (the format of MNIST and Fashion-MNIST), gzip-compressed as distributed.
 * Every check names the file and what was expected, so a damaged download is never silently used.
 *
 * @module
 */

/** An IDX array of unsigned bytes: its dimensions and its data in row-major order. */
export interface IdxArray {
  /** Dimensions, outermost first, e.g. `[60000, 28, 28]`. */
  readonly dims: readonly number[];
  /** The values, row-major; length is the product of `dims`. */
  readonly data: Uint8Array;
}

/** What an IDX file must hold. Omitted fields are not checked. */
export interface IdxExpectation {
  /** Expected dimensions; `undefined` entries are not checked. */
  readonly dims?: readonly (number | undefined)[];
}

/** The IDX type code for unsigned bytes, the only one MNIST-style data uses. */
const UBYTE = 0x08;

/**
 * Decompresses gzip bytes.
 *
 * @throws {RangeError} when the bytes are not gzip, or are truncated or corrupt; the message
 * names `file`.
 */
export async function gunzip(bytes: Uint8Array, file: string): Promise<Uint8Array> {
  if (bytes.length < 18 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) {
    throw new RangeError(
      `Invalid gzip file "${file}": expected gzip magic bytes 1f 8b and at least 18 bytes, ` +
        `got ${bytes.length} bytes starting ${hex(bytes.subarray(0, 2))}`,
    );
  }
  try {
    const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
      .pipeThrough(new DecompressionStream("gzip"));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (error) {
    throw new RangeError(
      `Invalid gzip file "${file}": truncated or corrupt (${(error as Error).message})`,
      { cause: error },
    );
  }
}

function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join(" ") || "(nothing)";
}

/**
 * Parses uncompressed IDX bytes of unsigned bytes and checks them against `expect`.
 *
 * @example
 * ```ts
 * import { parseIdx } from "./idx.ts";
 * const bytes = new Uint8Array([0, 0, 8, 1, 0, 0, 0, 2, 7, 9]);
 * const idx = parseIdx(bytes, "labels", { dims: [2] });
 * console.assert(idx.data[1] === 9);
 * ```
 *
 * @throws {RangeError} on a wrong magic number, wrong dimensions or a data length that does not
 * match the header.
 */
export function parseIdx(bytes: Uint8Array, file: string, expect: IdxExpectation = {}): IdxArray {
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) {
    throw new RangeError(
      `Invalid IDX file "${file}": expected magic bytes 00 00 <type> <ndim>, got ` +
        hex(bytes.subarray(0, 4)),
    );
  }
  const type = bytes[2]!;
  const ndim = bytes[3]!;
  if (type !== UBYTE) {
    throw new RangeError(
      `Invalid IDX file "${file}": expected type code 0x08 (unsigned byte), got 0x${
        type.toString(16).padStart(2, "0")
      }`,
    );
  }
  const wantDims = expect.dims;
  if (wantDims !== undefined && ndim !== wantDims.length) {
    const magic = (type << 8) | ndim;
    throw new RangeError(
      `Invalid IDX file "${file}": expected magic number ${(type << 8) | wantDims.length} ` +
        `(${wantDims.length} dimensions), got ${magic} (${ndim} dimensions)`,
    );
  }
  const headerLength = 4 + 4 * ndim;
  if (bytes.length < headerLength) {
    throw new RangeError(
      `Invalid IDX file "${file}": expected a ${headerLength}-byte header, got ${bytes.length} bytes`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < ndim; i++) dims.push(view.getUint32(4 + 4 * i, false));
  if (wantDims !== undefined) {
    dims.forEach((d, i) => {
      const want = wantDims[i];
      if (want !== undefined && d !== want) {
        throw new RangeError(
          `Invalid IDX file "${file}": expected dimension ${i} to be ${want}, got ${d} ` +
            `(dims ${dims.join("x")})`,
        );
      }
    });
  }
  const count = dims.reduce((a, b) => a * b, 1);
  const available = bytes.length - headerLength;
  if (available !== count) {
    throw new RangeError(
      `Invalid IDX file "${file}": header ${dims.join("x")} promises ${count} values, ` +
        `got ${available}`,
    );
  }
  return { dims, data: bytes.slice(headerLength) };
}

/** Reads and checks a gzip-compressed IDX file. See {@linkcode parseIdx}. */
export async function readIdxGz(path: string, expect: IdxExpectation = {}): Promise<IdxArray> {
  const compressed = await Deno.readFile(path);
  return parseIdx(await gunzip(compressed, path), path, expect);
}
