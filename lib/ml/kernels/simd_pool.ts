/**
 * Runs the SIMD helpers (`simd_kernels.c`) on several threads when tfjs's threaded wasm build
 * runs: XNNPACK spreads its own kernels over tfjs's thread pool, but our helpers ran on the
 * calling thread only. Each helper thread is a `node:worker_threads` Worker holding its own
 * instance of the helper module on tfjs's shared memory (the module has no stack and no globals,
 * so instances do not collide). A call is split by the caller into parts that write disjoint
 * outputs, each computed exactly as in one call: results are the same bits for any thread count.
 *
 * Parts are handed over through a SharedArrayBuffer and `Atomics.wait`/`notify`, with no message
 * queue; the threads are unref'd, so they never keep a process alive.
 *
 * @module
 */

import { Worker as NodeWorker } from "node:worker_threads";
import type { SimdKernels } from "./simd.ts";

/** Name of an exported helper. */
export type SimdName = keyof SimdKernels;

/** Calls of the SIMD helpers, split over threads. */
export interface SimdPool {
  /** How many parts a call can run at once (1: no helper threads). */
  readonly threads: number;
  /**
   * Runs `name(...parts[i])` for every part, part 0 on this thread and the others at once on
   * helper threads; returns when all are done. More parts than threads run one after another.
   */
  run(name: SimdName, parts: readonly (readonly number[])[]): void;
  /** Stops the helper threads (a pool that lives as long as its process never needs to). */
  close(): Promise<void>;
}

// Control words (Int32Array indices) and the argument area of each helper.
const SEQ = 0;
const DONE = 1;
const FN = 2;
const PARTS = 3;
const FAILED = 4;
const STOP = 5;
const CONTROL_WORDS = 8;
const MAX_ARGS = 32;

const WORKER_SOURCE = `
const { workerData, parentPort } = require("node:worker_threads");
const { wasmModule, memory, control, index, names } = workerData;
const kernels = new WebAssembly.Instance(wasmModule, { env: { memory } }).exports;
const ctrl = new Int32Array(control, 0, ${CONTROL_WORDS});
const args = new Float64Array(control, ${CONTROL_WORDS * 4} + index * ${MAX_ARGS + 1} * 8, ${
  MAX_ARGS + 1
});
let seen = 0;
parentPort.postMessage("ready");
for (;;) {
  Atomics.wait(ctrl, ${SEQ}, seen);
  seen = Atomics.load(ctrl, ${SEQ});
  if (Atomics.load(ctrl, ${STOP}) !== 0) break;
  // Part 0 is the caller's; helper i takes part i + 1 when there is one.
  if (index + 1 < ctrl[${PARTS}]) {
    try {
      kernels[names[ctrl[${FN}]]](...args.subarray(1, 1 + args[0]));
    } catch {
      Atomics.store(ctrl, ${FAILED}, 1);
    }
  }
  Atomics.add(ctrl, ${DONE}, 1);
  Atomics.notify(ctrl, ${DONE});
}
`;

/** One thread: calls run in order on `kernels`. */
export function serialPool(kernels: SimdKernels): SimdPool {
  return {
    threads: 1,
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
  const names = WebAssembly.Module.exports(module).map((e) => e.name) as SimdName[];
  const helpers = threads - 1;
  const control = new SharedArrayBuffer(CONTROL_WORDS * 4 + helpers * (MAX_ARGS + 1) * 8);
  const ctrl = new Int32Array(control, 0, CONTROL_WORDS);
  const argAreas = Array.from(
    { length: helpers },
    (_, i) => new Float64Array(control, CONTROL_WORDS * 4 + i * (MAX_ARGS + 1) * 8, MAX_ARGS + 1),
  );
  // A worker needs this thread's event loop to start, so wait here, not in the first `run`.
  const workers: NodeWorker[] = [];
  await Promise.all(
    Array.from({ length: helpers }, (_, index) =>
      new Promise<void>((resolve, reject) => {
        const worker = new NodeWorker(WORKER_SOURCE, {
          eval: true,
          workerData: { wasmModule: module, memory, control, index, names },
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
  return {
    threads,
    run(name, parts) {
      for (let start = 0; start < parts.length; start += threads) {
        const batch = parts.slice(start, start + threads);
        if (batch.length === 1) {
          kernels[name](...batch[0]!);
          continue;
        }
        batch.slice(1).forEach((args, i) => {
          if (args.length > MAX_ARGS) {
            throw new RangeError(`lib/ml/kernels/simd_pool.ts: ${name} has over ${MAX_ARGS} args`);
          }
          argAreas[i]![0] = args.length;
          argAreas[i]!.set(args, 1);
        });
        ctrl[FN] = names.indexOf(name);
        ctrl[PARTS] = batch.length;
        Atomics.store(ctrl, DONE, 0);
        Atomics.add(ctrl, SEQ, 1);
        Atomics.notify(ctrl, SEQ);
        kernels[name](...batch[0]!);
        for (let done = Atomics.load(ctrl, DONE); done < helpers; done = Atomics.load(ctrl, DONE)) {
          Atomics.wait(ctrl, DONE, done);
        }
        if (Atomics.exchange(ctrl, FAILED, 0) !== 0) {
          throw new Error(`lib/ml/kernels/simd_pool.ts: ${name} failed on a helper thread`);
        }
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

/** `[start, end)` ranges that split `0..n` into at most `parts` near-equal pieces, in order. */
export function splitRange(n: number, parts: number): [number, number][] {
  const count = Math.max(1, Math.min(parts, n));
  return Array.from({ length: count }, (_, i) => [
    Math.floor((i * n) / count),
    Math.floor(((i + 1) * n) / count),
  ]);
}
