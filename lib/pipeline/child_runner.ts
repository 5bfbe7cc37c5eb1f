/**
 * Runs instances in children, at most `jobs` at once: prepares each child's write folder, hands
 * it to the sandbox (or another executor's drop-in), keeps its log and start/end times, and
 * collects its outs. It also counts the instances waiting for a worker, which sets how many
 * threads each child gets (`threads.ts`).
 *
 * @module
 */
import { dirname, join, resolve } from "node:path";
import type { RunEntry } from "./cache.ts";
import type { ChildRegistry } from "./children.ts";
import type { ReproEvent } from "./execute.ts";
import type { Instance } from "./graph.ts";
import { removePath, safeName, writeFileAtomic } from "./fs_util.ts";
import { collectOuts } from "./outs.ts";
import { runSandboxed, type SandboxOptions, type SandboxResult } from "./sandbox.ts";
import { childThreads } from "./threads.ts";
import type { Workspace } from "./workspace.ts";

/** A child run: its collected outs in `dir`, or why it failed. */
export type ChildRun =
  | {
    readonly collected: RunEntry;
    readonly dir: string;
    readonly seconds: number;
    readonly measures: Readonly<Record<string, number>>;
    readonly log: string;
    readonly t1: number;
  }
  | {
    readonly error: string;
    readonly log?: string;
    readonly interrupted?: boolean;
    readonly t1?: number;
  };

/** What a {@linkcode ChildRunner} needs. */
export interface ChildRunnerOptions {
  readonly ws: Workspace;
  /** This run's temp folder; each child writes into a folder of its own inside. */
  readonly runDir: string;
  /** Most children at once. */
  readonly jobs: number;
  readonly registry: ChildRegistry;
  readonly emit: (event: ReproEvent) => void;
  /** Aborting stops children and starts nothing new. */
  readonly signal?: AbortSignal;
  /** Default per-instance time limit in seconds (a stage's own `timeout:` wins). */
  readonly timeout?: number;
  /** Runs one child: `runSandboxed` (default) or another executor's drop-in. */
  readonly runChild?: (options: SandboxOptions) => Promise<SandboxResult>;
}

class Semaphore {
  #free: number;
  #waiting: (() => void)[] = [];
  constructor(n: number) {
    this.#free = n;
  }
  async acquire(): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return;
    }
    await new Promise<void>((r) => this.#waiting.push(r));
  }
  release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#free++;
  }
}

/** Runs instances in children under a worker limit; see the module doc. */
export class ChildRunner {
  readonly #o: ChildRunnerOptions;
  readonly #sem: Semaphore;
  readonly #cores = navigator.hardwareConcurrency ?? 1;
  #running = 0;
  // Instances whose upstreams are done and which have not started a child yet (for threads).
  readonly #ready = new Set<string>();
  /** Wall-clock start and end (ms since the epoch) of each child run. */
  readonly timings = new Map<string, { start: number; end: number }>();

  constructor(options: ChildRunnerOptions) {
    this.#o = options;
    this.#sem = new Semaphore(options.jobs);
  }

  /** The instance's upstream is done: it may want a worker soon. */
  markReady(name: string): void {
    this.#ready.add(name);
  }

  /** The instance wants no worker any more (it finished, or it is starting one). */
  unready(name: string): void {
    this.#ready.delete(name);
  }

  /** Runs an instance in a child (under the worker limit) and collects its outs from its folder. */
  async run(inst: Instance, announce: boolean): Promise<ChildRun> {
    const { ws, emit, signal } = this.#o;
    await this.#sem.acquire();
    this.#ready.delete(inst.name);
    this.#running++;
    try {
      if (signal?.aborted) return { error: "interrupted", interrupted: true };
      if (announce) emit({ type: "start", name: inst.name });
      const t1 = performance.now();
      const dir = join(this.#o.runDir, safeName(inst.name));
      removePath(dir);
      Deno.mkdirSync(dir, { recursive: true });
      const ctxOuts: string[] = [];
      for (const o of inst.outs) {
        const abs = join(dir, o);
        if (o.endsWith("/")) Deno.mkdirSync(abs, { recursive: true });
        else Deno.mkdirSync(dirname(abs), { recursive: true });
        ctxOuts.push(relPath(ws.root, abs) + (o.endsWith("/") ? "/" : ""));
      }
      const timeout = inst.timeout ?? this.#o.timeout;
      const start = Date.now();
      const result = await (this.#o.runChild ?? runSandboxed)({
        workspace: ws.root,
        module: resolve(ws.root, inst.run),
        writeDir: dir,
        net: inst.net,
        threads: childThreads(this.#cores, this.#o.jobs, this.#running, this.#ready.size),
        ...(inst.env ? { env: inst.env } : {}),
        ...(timeout !== undefined ? { timeout } : {}),
        registry: this.#o.registry,
        ctx: {
          name: inst.name,
          vars: inst.vars,
          params: inst.params,
          deps: inst.deps,
          outs: ctxOuts,
        },
        ...(signal ? { signal } : {}),
        ...(announce
          ? { onProgress: (d, t) => emit({ type: "progress", name: inst.name, done: d, total: t }) }
          : {}),
      });
      const end = Date.now();
      this.timings.set(inst.name, { start, end });
      const seconds = (end - start) / 1000;
      try {
        writeFileAtomic(
          join(ws.stateDir, "logs", `${safeName(inst.name)}.log`),
          result.log + timingLine(seconds, result.measures),
        );
      } catch {
        // a log is a convenience
      }
      if (!result.ok) {
        removePath(dir);
        return {
          error: result.error ?? "the stage failed",
          log: result.log,
          interrupted: result.error === "interrupted",
          t1,
        };
      }
      const collected = collectOuts(dir, inst);
      if (typeof collected === "string") {
        removePath(dir);
        return { error: collected, log: result.log, t1 };
      }
      return { collected, dir, seconds, measures: result.measures, log: result.log, t1 };
    } finally {
      this.#running--;
      this.#sem.release();
    }
  }
}

/** The log's last line: the run's duration and what the stage measured (never in an out). */
function timingLine(seconds: number, measures: Readonly<Record<string, number>>): string {
  const extra = Object.entries(measures).map(([k, v]) => ` ${k}=${v}`).join("");
  return `quarry: ran in ${seconds.toFixed(1)} s${extra}\n`;
}

function relPath(root: string, abs: string): string {
  return abs.startsWith(`${root}/`) ? abs.slice(root.length + 1) : abs;
}
