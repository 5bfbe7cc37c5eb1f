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
import { setThreadsCount, setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { registerWasmKernels } from "./kernels/mod.ts";

/** Options for {@link initBackend}. */
export interface BackendOptions {
  /** Which backend to use; `"wasm"` (default) or `"cpu"` (the reference, slow). */
  backend?: "wasm" | "cpu";
  /**
   * wasm threads; only 1 (default) is supported in Deno for now. Ignored by `cpu`.
   */
  threads?: number;
  /** Folder of the `.wasm` binaries (default: the npm package's `dist/`, {@link wasmDistDir}). */
  wasmDir?: string;
  /** Where warnings go (default: stderr). */
  warn?: (message: string) => void;
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

function defaultWarn(message: string): void {
  console.error(`warning: ${message}`);
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
    // tfjs starts pthread workers from blob: URLs, which Deno refuses: stay single-threaded.
    tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
    setThreadsCount(threads);
    registerWasmKernels();
    try {
      setWasmPaths(options.wasmDir ?? wasmDistDir());
      if (await tf.setBackend("wasm")) {
        await tf.ready();
        return tf.getBackend();
      }
      warn("the tfjs wasm backend did not start; falling back to the (slow) cpu backend");
    } catch (error) {
      warn(
        `the tfjs wasm backend did not start (${
          error instanceof Error ? error.message : String(error)
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
  const key = `${options.backend ?? "wasm"}/${options.threads ?? 1}/${options.wasmDir ?? ""}`;
  if (pending === undefined || pendingKey !== key) {
    pendingKey = key;
    pending = start(options);
    pending.catch(() => {
      pending = undefined;
      pendingKey = undefined;
    });
  }
  return pending;
}
