/**
 * The target as an HTTP prediction API (`deno task serve`): the wire format, API keys (SHA-256,
 * constant-time lookup), durable per-key usage, the rate limiter, request checks, the server on
 * `Deno.serve`, the access log and its "what an attack looked like" summary.
 *
 * `model.ts` (loads tfjs) and `cli.ts` are imported directly, not through this module. The HTTP
 * client the loop uses is `lib/active/http_oracle.ts`.
 *
 * @module
 */

export * from "./wire.ts";
export * from "./keys.ts";
export * from "./usage.ts";
export * from "./rate.ts";
export * from "./request.ts";
export * from "./server.ts";
export * from "./access_log.ts";
export * from "./report.ts";
