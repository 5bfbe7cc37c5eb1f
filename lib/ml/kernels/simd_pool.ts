/**
 * Runs the SIMD helpers (`simd_kernels.c`) on several threads when tfjs's threaded wasm build
 * runs: XNNPACK spreads its own kernels over tfjs's thread pool, but our helpers ran on the
 * calling thread only. Each helper thread is a `node:worker_threads` Worker holding its own
 * instance of the helper module on tfjs's shared memory (the module has no stack and no globals,
 * so instances do not collide). A call is split by the caller into parts that write disjoint
 * outputs, each computed exactly as in one call: results are the same bits for any thread count.
 *
 * Threads take parts one at a time from a counter in a SharedArrayBuffer (`Atomics`), the caller
 * too, and sleep in `Atomics.wait` between calls; there is no message queue. The threads are
 * unref'd, so they never keep a process alive.
 *
 * @module
 */

import { Worker as NodeWorker } from "node:worker_threads";
import type { SimdKernels } from "./simd.ts";

/** Name of an exported helper. */
export type SimdName = keyof SimdKernels;

/** Calls of the SIMD helpers, split over threads. */
export interface SimdPool {
  /** How many threads take parts of a call (1: no helper threads). */
  readonly threads: number;
  /**
   * How many parts to split a call that writes `elements` floats into: a few per thread, so that
   * a thread that gets a core late (tfjs's XNNPACK threads spin for milliseconds after each of
   * their kernels) leaves its share to the others; fewer for small outputs (a part under ~8k
   * floats costs more to hand over than to compute); 1 with one thread.
   */
  partsFor(elements: number): number;
  /**
   * Runs `name(...parts[i])` for every part, taken in order by whichever thread is free (this
   * one included); returns when all are done. The parts must write disjoint memory.
   */
  run(name: SimdName, parts: readonly (readonly number[])[]): void;
  /** Stops the helper threads (a pool that lives as long as its process never needs to). */
  close(): Promise<void>;
}

// Control words (Int32Array indices). NEXT holds (job << 16) | index of the next part to take;
// index 0xffff closes a job while the next one is written.
const SEQ = 0;
const NEXT = 1;
const COUNT = 2;
const DONE = 3;
const FN = 4;
const FAILED = 5;
const STOP = 6;
const CONTROL_WORDS = 8;
/** Argument slots of one part: the count, then up to 31 arguments. */
const SLOT = 32;
const MAX_PARTS = 64;
const CLOSED = 0xffff;
const MIN_PART_ELEMENTS = 8192;
const PARTS_PER_THREAD = 4;

type Kernels = Record<string, (...args: number[]) => void>;

/**
 * Takes parts of the open job until none is left, runs each and counts it done. A part is taken
 * by a compare-and-swap on NEXT, which fails once the job is closed: a thread that wakes late
 * can never take a part of a job it did not read. Runs on every thread of the pool (its source
 * is copied into the workers, so it may use only its arguments).
 */
function drain(ctrl: Int32Array, args: Float64Array, kernels: Kernels, names: string[]): void {
  for (;;) {
    const word = Atomics.load(ctrl, 1);
    const index = word & 0xffff;
    if (index >= Atomics.load(ctrl, 2)) return;
    if (Atomics.compareExchange(ctrl, 1, word, word + 1) !== word) continue;
    try {
      const base = index * 32;
      kernels[names[ctrl[4]!]!]!(...args.subarray(base + 1, base + 1 + args[base]!));
    } catch {
      Atomics.store(ctrl, 5, 1);
    }
    if (Atomics.add(ctrl, 3, 1) + 1 === Atomics.load(ctrl, 2)) Atomics.notify(ctrl, 3);
  }
}

const WORKER_SOURCE = `
const { workerData, parentPort } = require("node:worker_threads");
const { wasmModule, memory, control, names } = workerData;
const kernels = new WebAssembly.Instance(wasmModule, { env: { memory } }).exports;
const ctrl = new Int32Array(control, 0, ${CONTROL_WORDS});
const args = new Float64Array(control, ${CONTROL_WORDS * 4}, ${MAX_PARTS * SLOT});
const drain = ${drain.toString()};
parentPort.postMessage("ready");
for (;;) {
  const seen = Atomics.load(ctrl, ${SEQ});
  if (Atomics.load(ctrl, ${STOP}) !== 0) break;
  drain(ctrl, args, kernels, names);
  Atomics.wait(ctrl, ${SEQ}, seen);
}
`;

/** One thread: calls run in order on `kernels`. */
export function serialPool(kernels: SimdKernels): SimdPool {
  return {
    threads: 1,
    partsFor: () => 1,
    run(name, parts) {
      for (const args of parts) kernels[name](...args);
    },
    close: () => Promise.resolve(),
  };
}

/**
 * A pool of `threads` (the caller plus `threads - 1` helpers) running `module` on `memory`, whose
 * own instance on this thread is `kernels`. `memory` must be shared when `threads > 1`.
 */
export async function createSimdPool(
  module: WebAssembly.Module,
  memory: WebAssembly.Memory,
  kernels: SimdKernels,
  threads: number,
): Promise<SimdPool> {
  if (threads <= 1) return serialPool(kernels);
  const names = WebAssembly.Module.exports(module).map((e) => e.name);
  const control = new SharedArrayBuffer(CONTROL_WORDS * 4 + MAX_PARTS * SLOT * 8);
  const ctrl = new Int32Array(control, 0, CONTROL_WORDS);
  const args = new Float64Array(control, CONTROL_WORDS * 4, MAX_PARTS * SLOT);
  // A worker needs this thread's event loop to start, so wait here, not in the first `run`.
  const workers: NodeWorker[] = [];
  await Promise.all(
    Array.from({ length: threads - 1 }, () =>
      new Promise<void>((resolve, reject) => {
        const worker = new NodeWorker(WORKER_SOURCE, {
          eval: true,
          workerData: { wasmModule: module, memory, control, names },
        });
        workers.push(worker);
        // Unref'd once started: until then it keeps the event loop (and this await) alive.
        worker.once("message", () => {
          worker.unref();
          resolve();
        });
        worker.once("error", reject);
      })),
  );
  let job = 0;
  const runRound = (name: SimdName, parts: readonly (readonly number[])[]) => {
    job = (job + 1) & 0x7fff;
    Atomics.store(ctrl, NEXT, (job << 16) | CLOSED);
    parts.forEach((part, i) => {
      if (part.length >= SLOT) {
        throw new RangeError(`lib/ml/kernels/simd_pool.ts: ${name} has over ${SLOT - 1} args`);
      }
      args[i * SLOT] = part.length;
      args.set(part, i * SLOT + 1);
    });
    ctrl[FN] = names.indexOf(name);
    Atomics.store(ctrl, COUNT, parts.length);
    Atomics.store(ctrl, DONE, 0);
    Atomics.store(ctrl, NEXT, job << 16);
    Atomics.add(ctrl, SEQ, 1);
    Atomics.notify(ctrl, SEQ);
    drain(ctrl, args, kernels as unknown as Kernels, names);
    // The last parts may still run elsewhere: spin a little (they are short), then sleep.
    for (let spins = 0, done = Atomics.load(ctrl, DONE); done < parts.length;) {
      if (++spins > 2000) Atomics.wait(ctrl, DONE, done);
      done = Atomics.load(ctrl, DONE);
    }
    if (Atomics.exchange(ctrl, FAILED, 0) !== 0) {
      throw new Error(`lib/ml/kernels/simd_pool.ts: ${name} failed on a helper thread`);
    }
  };
  return {
    threads,
    partsFor: (elements) =>
      Math.max(1, Math.min(PARTS_PER_THREAD * threads, Math.floor(elements / MIN_PART_ELEMENTS))),
    run(name, parts) {
      if (parts.length === 1) {
        kernels[name](...parts[0]!);
        return;
      }
      for (let start = 0; start < parts.length; start += MAX_PARTS) {
        runRound(name, parts.slice(start, start + MAX_PARTS));
      }
    },
    async close() {
      Atomics.store(ctrl, STOP, 1);
      Atomics.add(ctrl, SEQ, 1);
      Atomics.notify(ctrl, SEQ);
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

/**
 * `[start, end)` element ranges that split `0..n` into at most `parts` pieces of whole 4-float
 * SIMD vectors (the last piece takes the tail), in order.
 */
export function splitVectors(n: number, parts: number): [number, number][] {
  return splitRange(Math.ceil(n / 4), parts).map(([q0, q1]) => [4 * q0, Math.min(n, 4 * q1)]);
}

/** `[start, end)` ranges that split `0..n` into at most `parts` near-equal pieces, in order. */
export function splitRange(n: number, parts: number): [number, number][] {
  const count = Math.max(1, Math.min(parts, n));
  return Array.from({ length: count }, (_, i) => [
    Math.floor((i * n) / count),
    Math.floor(((i + 1) * n) / count),
  ]);
}
