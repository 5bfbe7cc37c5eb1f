/**
 * Small shared utilities: seeded random numbers, canonical JSON, atomic file writes.
 *
 * @module
 */

export * from "./random.ts";
export * from "./json.ts";
export * from "./fs.ts";
