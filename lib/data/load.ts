/**
 * Loads a registered dataset's train and test splits as plain typed arrays, fully verified.
 *
 * @module
 */

import { parseIdx } from "./idx.ts";
import { gunzip } from "./idx.ts";
import { type DatasetFileRole, type DatasetInfo, getDataset } from "./registry.ts";
import { fetchDatasetFile, type FetchOptions } from "./source.ts";

/** One split: `count` images of `height`×`width` uint8 pixels and their uint8 labels. */
export interface Split {
  /** Number of examples. */
  readonly count: number;
  /** Image height in pixels. */
  readonly height: number;
  /** Image width in pixels. */
  readonly width: number;
  /** Pixels, row-major, `count * height * width` values in 0..255. */
  readonly images: Uint8Array;
  /** Labels, `count` values in 0..classes-1. */
  readonly labels: Uint8Array;
}

/** A loaded dataset. */
export interface Dataset {
  /** The registry entry. */
  readonly info: DatasetInfo;
  /** The 60k training split (the attacker's pool and the target's training set). */
  readonly train: Split;
  /** The 10k test split. */
  readonly test: Split;
}

async function readRole(
  info: DatasetInfo,
  role: DatasetFileRole,
  options: FetchOptions,
  dims: readonly number[],
): Promise<Uint8Array> {
  const compressed = await fetchDatasetFile(info, role, options);
  const name = `${options.dir}/${info.name}/${info.files[role].name}`;
  return parseIdx(await gunzip(compressed, name), name, { dims }).data;
}

async function loadSplit(
  info: DatasetInfo,
  split: "train" | "test",
  options: FetchOptions,
): Promise<Split> {
  const count = info.counts[split];
  const [height, width] = info.imageSize;
  const images = await readRole(info, `${split}Images`, options, [count, height, width]);
  const labels = await readRole(info, `${split}Labels`, options, [count]);
  const name = `${options.dir}/${info.name}/${info.files[`${split}Labels`].name}`;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i]! >= info.classes.length) {
      throw new RangeError(
        `Invalid label in "${name}" at index ${i}: expected 0..${info.classes.length - 1}, ` +
          `got ${labels[i]}`,
      );
    }
  }
  return { count, height, width, images, labels };
}

/**
 * Loads and verifies a registered dataset (checksums, gzip, IDX headers, counts, label range).
 *
 * @example
 * ```ts ignore
 * import { loadDataset, resolveDataDir } from "./mod.ts";
 * const ds = await loadDataset("mnist", { dir: resolveDataDir("../shared/datasets") });
 * console.log(ds.train.count); // 60000
 * ```
 */
export async function loadDataset(name: string, options: FetchOptions): Promise<Dataset> {
  const info = getDataset(name);
  const train = await loadSplit(info, "train", options);
  const test = await loadSplit(info, "test", options);
  return { info, train, test };
}

/** Counts of each label value, index = class. */
export function classHistogram(labels: ArrayLike<number>, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    if (!Number.isInteger(label) || label < 0 || label >= classes) {
      throw new RangeError(`Invalid label at index ${i}: expected 0..${classes - 1}, got ${label}`);
    }
    counts[label]!++;
  }
  return counts;
}
