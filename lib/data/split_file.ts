/**
 * A dataset split as a tensor file: `images` (uint8, N×H×W) and `labels` (uint8, N), with the
 * dataset name and class names in the metadata. What `prepare` writes and every later stage reads.
 *
 * @module
 */

import type { JsonValue } from "../util/json.ts";
import type { Split } from "./load.ts";
import { getTensor, readTensorFile, type TensorFile, writeTensorFile } from "./tensor_file.ts";

/** A split read back from its tensor file, with its metadata. */
export interface SplitFile extends Split {
  /** Dataset name, e.g. `mnist`. */
  readonly dataset: string;
  /** `train` or `test`. */
  readonly split: string;
  /** Class names, index = label. */
  readonly classes: readonly string[];
}

/** Builds the tensor file content of a split. */
export function splitToTensorFile(split: SplitFile): TensorFile {
  return {
    meta: {
      classes: [...split.classes],
      dataset: split.dataset,
      split: split.split,
    } as { [key: string]: JsonValue },
    tensors: [
      { name: "images", shape: [split.count, split.height, split.width], data: split.images },
      { name: "labels", shape: [split.count], data: split.labels },
    ],
  };
}

/** Writes a split atomically (deterministic bytes). */
export async function writeSplitFile(path: string, split: SplitFile): Promise<void> {
  await writeTensorFile(path, splitToTensorFile(split));
}

/**
 * Reads a split written by {@linkcode writeSplitFile}.
 *
 * @throws {TypeError} when the tensors are missing or mis-shaped.
 */
export async function readSplitFile(path: string): Promise<SplitFile> {
  const file = await readTensorFile(path);
  const images = getTensor(file, "images", {
    dtype: "uint8",
    shape: [undefined, undefined, undefined],
  }, path);
  const [count, height, width] = images.shape as [number, number, number];
  const labels = getTensor(file, "labels", { dtype: "uint8", shape: [count] }, path);
  const meta = file.meta;
  const classes = Array.isArray(meta.classes) ? meta.classes.map(String) : [];
  return {
    dataset: typeof meta.dataset === "string" ? meta.dataset : "",
    split: typeof meta.split === "string" ? meta.split : "",
    classes,
    count,
    height,
    width,
    images: images.data as Uint8Array,
    labels: labels.data as Uint8Array,
  };
}
