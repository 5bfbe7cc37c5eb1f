/**
 * The datasets Quarry knows: their files, canonical SHA-256 checksums, public mirrors and class
 * names. The checksums are those of the original distributions (the same bytes as
 * `../shared/datasets/<name>/SHA256SUMS`), so a file from any mirror is verified the same way.
 *
 * @module
 */

/** The four files of an MNIST-style dataset, by role. */
export type DatasetFileRole = "trainImages" | "trainLabels" | "testImages" | "testLabels";

/** One file of a dataset. */
export interface DatasetFile {
  /** File name inside `<data dir>/<dataset>/`, e.g. `train-images-idx3-ubyte.gz`. */
  readonly name: string;
  /** Lowercase hex SHA-256 of the compressed file. */
  readonly sha256: string;
}

/** A registered dataset. */
export interface DatasetInfo {
  /** Registry name, also the folder name under the data dir. */
  readonly name: string;
  /** Class names, index = label. */
  readonly classes: readonly string[];
  /** Image height and width in pixels. */
  readonly imageSize: readonly [number, number];
  /** Number of training and test examples. */
  readonly counts: { readonly train: number; readonly test: number };
  /** The four files. */
  readonly files: Readonly<Record<DatasetFileRole, DatasetFile>>;
  /** Base URLs (ending in `/`) tried in order when a file is missing. */
  readonly mirrors: readonly string[];
}

/** Roles in a fixed order, for deterministic iteration. */
export const FILE_ROLES: readonly DatasetFileRole[] = [
  "trainImages",
  "trainLabels",
  "testImages",
  "testLabels",
];

const MNIST: DatasetInfo = {
  name: "mnist",
  classes: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
  imageSize: [28, 28],
  counts: { train: 60000, test: 10000 },
  files: {
    trainImages: {
      name: "train-images-idx3-ubyte.gz",
      sha256: "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    },
    trainLabels: {
      name: "train-labels-idx1-ubyte.gz",
      sha256: "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    },
    testImages: {
      name: "t10k-images-idx3-ubyte.gz",
      sha256: "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    },
    testLabels: {
      name: "t10k-labels-idx1-ubyte.gz",
      sha256: "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    },
  },
  mirrors: [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
  ],
};

const FASHION_MNIST: DatasetInfo = {
  name: "fashion-mnist",
  classes: [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
  ],
  imageSize: [28, 28],
  counts: { train: 60000, test: 10000 },
  files: {
    trainImages: {
      name: "train-images-idx3-ubyte.gz",
      sha256: "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
    },
    trainLabels: {
      name: "train-labels-idx1-ubyte.gz",
      sha256: "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
    },
    testImages: {
      name: "t10k-images-idx3-ubyte.gz",
      sha256: "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
    },
    testLabels: {
      name: "t10k-labels-idx1-ubyte.gz",
      sha256: "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    },
  },
  mirrors: [
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
  ],
};

/** All registered datasets by name. */
export const DATASETS: Readonly<Record<string, DatasetInfo>> = {
  "mnist": MNIST,
  "fashion-mnist": FASHION_MNIST,
};

/** Names of the registered datasets, sorted. */
export const DATASET_NAMES: readonly string[] = Object.keys(DATASETS).sort();

/**
 * Looks a dataset up by name.
 *
 * @example
 * ```ts
 * import { getDataset } from "./registry.ts";
 * console.assert(getDataset("mnist").classes.length === 10);
 * ```
 *
 * @throws {RangeError} for an unknown name, listing the known ones.
 */
export function getDataset(name: string): DatasetInfo {
  const info = Object.hasOwn(DATASETS, name) ? DATASETS[name] : undefined;
  if (info === undefined) {
    throw new RangeError(
      `Unknown dataset "${name}": expected one of ${DATASET_NAMES.map((n) => `"${n}"`).join(", ")}`,
    );
  }
  return info;
}
