/**
 * Weights files: a model's spec and its float32 tensors in the tensor file format
 * (`lib/data/tensor_file.ts`), byte-identical for identical weights.
 *
 * @module
 */

import type { JsonValue } from "../util/json.ts";
import { decodeTensorFile, encodeTensorFile, type NamedTensor } from "../data/tensor_file.ts";
import { type ModelSpec, parseModelSpec } from "./spec.ts";

/** Marks a tensor file as a weights file. */
export const WEIGHTS_FORMAT = "quarry-weights/1";

/** Encodes weights with their spec; same weights, same bytes. */
export function encodeWeights(spec: ModelSpec, weights: readonly NamedTensor[]): Uint8Array {
  return encodeTensorFile({
    meta: { format: WEIGHTS_FORMAT, spec: spec as unknown as JsonValue },
    tensors: weights,
  });
}

/**
 * Decodes a weights file.
 *
 * @throws {RangeError} when it is not a weights file or its spec is invalid (names `source`).
 */
export function decodeWeights(
  bytes: Uint8Array,
  source = "weights file",
): { spec: ModelSpec; weights: NamedTensor[] } {
  const file = decodeTensorFile(bytes, source);
  if (file.meta.format !== WEIGHTS_FORMAT) {
    throw new RangeError(
      `Invalid weights file "${source}": expected format "${WEIGHTS_FORMAT}", got ${
        JSON.stringify(file.meta.format)
      }`,
    );
  }
  const spec = parseModelSpec(file.meta.spec, `"${source}" meta.spec`);
  return { spec, weights: [...file.tensors] };
}
