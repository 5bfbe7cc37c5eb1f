/**
 * Small shared utilities: seeded random numbers.
 *
 * @module
 */

export * from "./random.ts";
