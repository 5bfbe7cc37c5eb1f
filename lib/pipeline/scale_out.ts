/**
 * The executor's scale-out hooks: before a cache lookup, fetch the run record from the remote
 * (restore falls back workspace → local cache → remote) or, for shared upstream that shard 1
 * produces, wait until its run record appears in the shared cache; after a fresh result is
 * stored, push it to the remote (`repro --remote` pushes what it ran).
 *
 * @module
 */
import type { Cache } from "./cache.ts";
import type { Digest } from "./hash.ts";
import type { Shard } from "./plan.ts";
import type { S3Remote } from "./remote.ts";

/** Default `--shard-wait`: how long a shard waits for shard 1's shared upstream. */
export const DEFAULT_SHARD_WAIT_SECONDS = 3600;

/** Options for {@linkcode scaleOutHooks}. */
export interface ScaleOutOptions {
  /** The local (possibly shared) cache. */
  readonly cache: Cache;
  /** The remote cache, if any. */
  readonly remote?: S3Remote;
  /** Shared upstream this shard waits for instead of running (a shard other than 1). */
  readonly awaited?: ReadonlySet<string>;
  /** The shard, for messages. */
  readonly shard?: Shard;
  /** Longest wait for one awaited instance, seconds (default 3600). */
  readonly waitSeconds?: number;
  /** Aborting stops a wait. */
  readonly signal?: AbortSignal;
  /** Receives progress and warning lines. */
  readonly log?: (line: string) => void;
}

/** The hooks `reproduce()` takes, and what they moved. */
export interface ScaleOutHooks {
  /** Before a cache lookup: returns a problem to fail the instance with, else `undefined`. */
  /** Fetches from the remote, or waits for another shard, calling `onWait` before it waits. */
  readonly beforeRestore: (
    name: string,
    key: Digest,
    onWait?: () => void,
  ) => Promise<string | undefined>;
  /** After a fresh result was stored in the local cache. */
  readonly afterStore: (name: string, key: Digest) => Promise<void>;
  /** Instances pushed to / pulled from the remote, and pushes that failed. */
  readonly stats: { pushed: string[]; pulled: string[]; pushFailed: string[] };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done);
  });
}

/** Builds the hooks; see the module doc. */
export function scaleOutHooks(o: ScaleOutOptions): ScaleOutHooks {
  const log = o.log ?? (() => {});
  const stats = { pushed: [] as string[], pulled: [] as string[], pushFailed: [] as string[] };
  const where = o.remote ? o.remote.url : o.cache.dir;

  const fetch = async (name: string, key: Digest): Promise<boolean> => {
    if (o.cache.getRun(key)) return true;
    if (!o.remote) return false;
    try {
      if (!(await o.remote.pullRun(o.cache, key))) return false;
      stats.pulled.push(name);
      return true;
    } catch (e) {
      log(`warning: ${name}: ${(e as Error).message}`);
      return false;
    }
  };

  const beforeRestore = async (
    name: string,
    key: Digest,
    onWait?: () => void,
  ): Promise<string | undefined> => {
    if (await fetch(name, key) || !o.awaited?.has(name)) return undefined;
    onWait?.();
    const limit = (o.waitSeconds ?? DEFAULT_SHARD_WAIT_SECONDS) * 1000;
    const shard = o.shard ? `shard ${o.shard.index}/${o.shard.count}` : "this shard";
    log(`${shard}: waiting for ${name} (shard 1 produces it) to appear in ${where}`);
    const t0 = performance.now();
    let interval = 250;
    while (!o.signal?.aborted) {
      const left = limit - (performance.now() - t0);
      if (left <= 0) break;
      await sleep(Math.min(interval, left), o.signal);
      if (await fetch(name, key)) return undefined;
      interval = Math.min(interval * 1.5, 10_000);
    }
    if (o.signal?.aborted) return undefined; // the executor reports the interrupt
    return `${shard}: waited ${limit / 1000} s for shared upstream ${name} (key ` +
      `${key.slice(0, 12)}) to appear in ${where}; shard 1 produces it: run shard 1 with the ` +
      `same cache (${o.remote ? "--remote" : "--cache"}) and inputs, run \`repro ${name}\` ` +
      `first, or wait longer (--shard-wait SECONDS)`;
  };

  const afterStore = async (name: string, key: Digest): Promise<void> => {
    if (!o.remote) return;
    try {
      await o.remote.pushRun(o.cache, key);
      stats.pushed.push(name);
    } catch (e) {
      stats.pushFailed.push(name);
      log(`warning: could not push ${name}: ${(e as Error).message} (\`deno task cache push\`)`);
    }
  };

  return { beforeRestore, afterStore, stats };
}
