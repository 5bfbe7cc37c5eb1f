/**
 * Per-key rate limit: a token bucket refilled at `rate` tokens per second, holding at most
 * `max(1, rate)` tokens (one second's worth), one token per request. The clock is injected so
 * that tests need no sleeping.
 *
 * @module
 */

/** The outcome of {@linkcode RateLimiter.take}. */
export type RateDecision = { readonly ok: true } | {
  readonly ok: false;
  /** Whole seconds until a token is there (the `Retry-After` value, at least 1). */
  readonly retryAfter: number;
};

/**
 * Token buckets by key id.
 *
 * @example Usage
 * ```ts
 * import { RateLimiter } from "./rate.ts";
 * let now = 0;
 * const limiter = new RateLimiter(() => now);
 * console.assert(limiter.take("k", 1).ok);
 * console.assert(!limiter.take("k", 1).ok);
 * now = 1000;
 * console.assert(limiter.take("k", 1).ok);
 * ```
 */
export class RateLimiter {
  #now: () => number;
  #buckets = new Map<string, { tokens: number; at: number }>();

  /** `now` returns milliseconds (default `performance.now`). */
  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  /** Takes one token from `id`'s bucket of `rate` requests per second (null: always ok). */
  take(id: string, rate: number | null): RateDecision {
    if (rate === null) return { ok: true };
    const capacity = Math.max(1, rate);
    const now = this.#now();
    const bucket = this.#buckets.get(id) ?? { tokens: capacity, at: now };
    bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.at) / 1000) * rate);
    bucket.at = now;
    this.#buckets.set(id, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfter: Math.max(1, Math.ceil((1 - bucket.tokens) / rate)) };
  }
}
