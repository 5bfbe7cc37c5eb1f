/**
 * Multi-threaded tfjs wasm in Deno. tfjs-backend-wasm starts its pthread workers from `blob:`
 * URLs, which Deno refuses, and hands each worker the module factory as a Blob. This shim puts a
 * `node:worker_threads` Worker in their place that runs the same worker script from a string
 * (`eval: true`, so no file is written and no write permission is needed) and passes the factory
 * source as a string. Both texts come from the pinned tfjs-backend-wasm bundle itself.
 *
 * @module
 */

import { Worker as NodeWorker } from "node:worker_threads";

/** The worker script and the factory source that the threaded build's workers need. */
export interface ThreadSources {
  worker: string;
  factory: string;
}

const IMPORT_SCRIPTS =
  'importScripts:function(f){(0,eval)(fs.readFileSync(f,"utf8")+"//# sourceURL="+f)}';
const FACTORY_START = "    var WasmBackendModuleThreadedSimd = (function () {";
const FACTORY_END = "    module.exports = WasmBackendModuleThreadedSimd;";

/**
 * Extracts the worker script and factory from tfjs-backend-wasm's Node bundle text; throws a
 * TypeError naming what is missing when the bundle is not the expected one.
 */
export function threadSources(bundle: string): ThreadSources {
  const match = bundle.match(/^var wasmWorkerContents = ("(?:[^"\\]|\\.)*");$/m);
  if (match === null) {
    throw new TypeError('tf-backend-wasm.node.js: expected `var wasmWorkerContents = "...";`');
  }
  // As tfjs does: the only newline in the script is inside a string literal; keep it escaped.
  const script = (JSON.parse(match[1]!) as string).replace(/\n/g, "\\n");
  if (!script.includes(IMPORT_SCRIPTS)) {
    throw new TypeError("tf-backend-wasm.node.js: the worker script's importScripts has changed");
  }
  const start = bundle.indexOf(FACTORY_START);
  const end = bundle.indexOf(FACTORY_END, start);
  if (start < 0 || end < 0) {
    throw new TypeError(
      "tf-backend-wasm.node.js: expected the WasmBackendModuleThreadedSimd factory",
    );
  }
  // Scripts arrive as source text, evaluated in the worker's global scope.
  // Deno's worker global has read-only accessors (location, ...): define what can be defined.
  const worker = [
    'var __filename = "quarry-tfjs-wasm-worker.js";',
    "function quarryAssign(target, props) {",
    "  for (const key of Object.keys(props)) {",
    "    try {",
    "      Object.defineProperty(target, key, { value: props[key], writable: true, configurable: true });",
    "    } catch { /* a non-configurable global: keep Deno's */ }",
    "  }",
    "}",
    script.replace(IMPORT_SCRIPTS, "importScripts:function(f){(0,eval)(f)}").replace(
      "Object.assign(global,{self:global",
      "quarryAssign(global,{self:global",
    ),
  ].join("\n");
  // The bundle's module-level names that the factory refers to.
  const factory = [
    'var require$$0 = require("fs"), require$$1 = require("path");',
    'var require$$3 = require("perf_hooks"), require$$4 = require("os");',
    "var commonjsGlobal = globalThis;",
    bundle.slice(start, end),
  ].join("\n");
  return { worker, factory };
}

/**
 * Makes `new Worker(...)` (as emscripten calls it, through the global) start our worker until the
 * returned function restores the global. Workers are unref'd and stay so: they never keep a
 * process alive.
 */
export function installWorkerShim(sources: ThreadSources): () => void {
  class ShimWorker extends NodeWorker {
    constructor(_url: unknown) {
      super(sources.worker, { eval: true });
      this.unref();
    }
    // emscripten refs a worker while its pthread runs, and XNNPACK's pool threads never end: a
    // ref would keep every process that trained alive after its work is done.
    override ref(): void {}
    // deno-lint-ignore no-explicit-any
    override postMessage(message: unknown, transfer?: readonly any[]): void {
      const m = message as { cmd?: string } | null;
      const patched = m !== null && typeof m === "object" && m.cmd === "load"
        ? { ...m, urlOrBlob: sources.factory }
        : message;
      super.postMessage(patched, transfer);
    }
  }
  const previous = Object.getOwnPropertyDescriptor(globalThis, "Worker");
  Object.defineProperty(globalThis, "Worker", {
    configurable: true,
    get: () => ShimWorker,
    set: () => {},
  });
  return () => {
    if (previous !== undefined) Object.defineProperty(globalThis, "Worker", previous);
    else delete (globalThis as { Worker?: unknown }).Worker;
  };
}
