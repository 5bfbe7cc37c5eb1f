/**
 * Data for Quarry: the registry of datasets (files, SHA-256, mirrors), the verified IDX reader,
 * the data directory and downloads, and the compact tensor files that `prepare` writes.
 *
 * @module
 */

export * from "./idx.ts";
export * from "./registry.ts";
export * from "./source.ts";
export * from "./load.ts";
export * from "./tensor_file.ts";
export * from "./split_file.ts";
