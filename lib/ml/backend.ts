/**
 * The tfjs engine Quarry trains and predicts on: the `wasm` backend (deterministic WebAssembly
 * arithmetic, the same bits on every machine), with its `.wasm` binaries loaded from the npm
 * package and the kernels training needs added by us (see `kernels/`). Falls back to the `cpu`
 * backend, with a warning on stderr, only when wasm cannot start.
 *
 * @example
 * ```ts ignore
 * import { initBackend } from "./backend.ts";
 * const name = await initBackend(); // "wasm"
 * ```
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs-core";
// The union package registers every op gradient (tfjs-core alone registers none) and the cpu
// backend; all packages share the one tfjs-core instance in node_modules.
import "@tensorflow/tfjs";
import { getThreadsCount, setThreadsCount, setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import os from "node:os";
import { registerWasmKernels } from "./kernels/mod.ts";
import { installWorkerShim, threadSources } from "./kernels/wasm_threads.ts";
import { startSimdPool, type WasmBackend } from "./kernels/wasm_util.ts";

/** Options for {@link initBackend}. */
export interface BackendOptions {
  /** Which backend to use; `"wasm"` (default) or `"cpu"` (the reference, slow). */
  backend?: "wasm" | "cpu";
  /**
   * wasm threads (default: the environment variable `QUARRY_THREADS`, which the pipeline runner
   * sets for each stage from the cores no other stage uses, else 1). Above 1, tfjs's threaded
   * build starts through our worker shim (`kernels/wasm_threads.ts`); if it cannot, a warning
   * and 1 thread. Results are the same bits for any thread count. Fixed by the first call that
   * starts wasm in a process. Ignored by `cpu`.
   */
  threads?: number;
  /** Folder of the `.wasm` binaries (default: the npm package's `dist/`, {@link wasmDistDir}). */
  wasmDir?: string;
  /** Where warnings go (default: stderr). */
  warn?: (message: string) => void;
}

/** Name of the environment variable that gives the default thread count. */
export const THREADS_ENV = "QUARRY_THREADS";

/**
 * The thread count `QUARRY_THREADS` asks for, or undefined when it is unset or unreadable
 * (no env permission). A value that is not a positive integer is an error naming the variable.
 */
export function threadsFromEnv(): number | undefined {
  let text: string | undefined;
  try {
    text = Deno.env.get(THREADS_ENV);
  } catch {
    return undefined;
  }
  if (text === undefined || text === "") return undefined;
  const threads = Number(text);
  if (!Number.isInteger(threads) || threads < 1) {
    throw new RangeError(
      `Invalid environment variable ${THREADS_ENV}: expected a positive integer, got "${text}"`,
    );
  }
  return threads;
}

let pending: Promise<string> | undefined;
let pendingKey: string | undefined;

/**
 * The folder that holds tfjs-backend-wasm's `.wasm` files, as a file-system path ending in `/`
 * (emscripten reads it with `fs` when it believes it runs in Node, as it does in Deno).
 */
export function wasmDistDir(): string {
  const entry = import.meta.resolve("@tensorflow/tfjs-backend-wasm");
  const url = new URL(".", entry);
  return url.protocol === "file:" ? decodeURIComponent(url.pathname) : url.href;
}

function defaultWarn(text: string): void {
  console.error(`warning: ${text}`);
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

let wasmStarted = false;

const noRestore = () => {};

/**
 * Prepares tfjs's threaded wasm build: the worker shim, and enough reported cores (tfjs uses at
 * most half the logical cores it sees). Returns what undoes both once the backend started.
 */
function startThreads(dir: string, threads: number): () => void {
  const bundle = Deno.readTextFileSync(`${dir}tf-backend-wasm.node.js`);
  const restoreWorker = installWorkerShim(threadSources(bundle));
  const cpus = os.cpus;
  const wanted = Math.max(2 * threads, cpus().length);
  os.cpus = () => {
    const real = cpus();
    return Array.from({ length: wanted }, (_, i) => real[i % Math.max(1, real.length)]!);
  };
  return () => {
    os.cpus = cpus;
    restoreWorker();
  };
}

async function start(options: BackendOptions): Promise<string> {
  const wanted = options.backend ?? "wasm";
  const warn = options.warn ?? defaultWarn;
  if (wanted === "wasm") {
    const threads = options.threads ?? 1;
    if (!Number.isInteger(threads) || threads < 1) {
      throw new RangeError(
        `Invalid threads in lib/ml/backend.ts initBackend: expected a positive integer, got ${threads}`,
      );
    }
    registerWasmKernels();
    const dir = options.wasmDir ?? wasmDistDir();
    if (wasmStarted) {
      if (threads !== getThreadsCount()) {
        warn(`the wasm backend already runs ${getThreadsCount()} thread(s); keeping them`);
      }
      if (await tf.setBackend("wasm")) return tf.getBackend();
    }
    let restore: () => void = noRestore;
    if (threads > 1) {
      try {
        restore = startThreads(dir, threads);
      } catch (error) {
        warn(`wasm threads unavailable (${message(error)}); using 1 thread`);
      }
    }
    const threaded = threads > 1 && restore !== noRestore;
    tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", threaded);
    setThreadsCount(threaded ? threads : 1);
    try {
      setWasmPaths(dir);
      const ok = await tf.setBackend("wasm");
      restore();
      if (ok) {
        await tf.ready();
        try {
          await startSimdPool(tf.backend() as unknown as WasmBackend);
        } catch (error) {
          warn(`SIMD helper threads unavailable (${message(error)}); our kernels use 1 thread`);
        }
        wasmStarted = true;
        if (getThreadsCount() !== (threaded ? threads : 1)) {
          warn(`asked for ${threads} wasm threads, tfjs started ${getThreadsCount()}`);
        }
        return tf.getBackend();
      }
      warn("the tfjs wasm backend did not start; falling back to the (slow) cpu backend");
    } catch (error) {
      restore();
      warn(
        `the tfjs wasm backend did not start (${
          message(error)
        }); falling back to the (slow) cpu backend`,
      );
    }
  } else if (wanted !== "cpu") {
    throw new RangeError(
      `Invalid backend in lib/ml/backend.ts initBackend: expected "wasm" or "cpu", got "${wanted}"`,
    );
  }
  if (!(await tf.setBackend("cpu"))) {
    throw new Error("lib/ml/backend.ts: neither the wasm nor the cpu tfjs backend could start");
  }
  await tf.ready();
  quietCpu();
  return tf.getBackend();
}

/** Silences the cpu backend's one-time "install tfjs-node" banner (it assumes Node.js). */
export function quietCpu(): void {
  const cpu = tf.findBackend("cpu") as { firstUse?: boolean } | null;
  if (cpu !== null) cpu.firstUse = false;
}

/**
 * Selects and initialises the tfjs backend once per process and returns its name (`"wasm"`, or
 * `"cpu"` after a fallback or when asked for). Idempotent: later calls with the same options
 * return the same promise; a call with other options switches backend.
 */
export function initBackend(options: BackendOptions = {}): Promise<string> {
  const threads = options.threads ?? threadsFromEnv() ?? 1;
  const key = `${options.backend ?? "wasm"}/${threads}/${options.wasmDir ?? ""}`;
  if (pending === undefined || pendingKey !== key) {
    pendingKey = key;
    pending = start({ ...options, threads });
    pending.catch(() => {
      pending = undefined;
      pendingKey = undefined;
    });
  }
  return pending;
}
