/**
 * Small shared utilities: seeded random numbers, canonical JSON, atomic file writes, HTML escaping.
 *
 * @module
 */

export * from "./random.ts";
export * from "./json.ts";
export * from "./fs.ts";
export * from "./html.ts";
