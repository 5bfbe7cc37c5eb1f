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
import { PriorityGate } from "./priority.ts";
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
  /** Who gets a free worker first (`priority.ts`); without it, first come first served. */
  readonly ranks?: ReadonlyMap<string, number>;
}

/** How {@linkcode ChildRunner.run} takes its worker. */
export interface RunOptions {
  /** Announce the start and progress (the instance's own run, not a rerun to provide outs). */
  readonly announce?: boolean;
  /** Queue at this instance's rank (a rerun for a downstream instance takes the latter's). */
  readonly rankOf?: string;
  /** Keep the worker after the child ends, until `settled` (the outs are placed first). */
  readonly keepWorker?: boolean;
}

/** Runs instances in children under a worker limit; see the module doc. */
export class ChildRunner {
  readonly #o: ChildRunnerOptions;
  readonly #gate: PriorityGate;
  readonly #cores = navigator.hardwareConcurrency ?? 1;
  #running = 0;
  readonly #arrivals = new Map<string, number>();
  // Instances holding a worker until they settle.
  readonly #holding = new Set<string>();
  /** Wall-clock start and end (ms since the epoch) of each child run. */
  readonly timings = new Map<string, { start: number; end: number }>();

  constructor(options: ChildRunnerOptions) {
    this.#o = options;
    this.#gate = new PriorityGate(options.jobs);
  }

  // Unranked names rank after the ranked ones, in the order they first arrive.
  #rank(name: string): number {
    const ranked = this.#o.ranks?.get(name);
    if (ranked !== undefined) return ranked;
    if (!this.#arrivals.has(name)) this.#arrivals.set(name, this.#arrivals.size);
    return (this.#o.ranks?.size ?? 0) + this.#arrivals.get(name)!;
  }

  /** The instance's upstream is done: it may want a worker soon. */
  markReady(name: string): void {
    this.#gate.markReady(name, this.#rank(name));
  }

  /** The instance wants no worker for now (it waits on something else). */
  unready(name: string): void {
    this.#gate.unready(name);
  }

  /**
   * The instance is done: it wants no worker, gives back one it kept, and `next` (downstream
   * instances whose upstream is now all done) may want one soon, before any is given away.
   */
  settled(name: string, next: Iterable<string> = []): void {
    for (const n of next) this.markReady(n);
    this.#gate.unready(name);
    if (this.#holding.delete(name)) this.#gate.release();
  }

  /** Runs an instance in a child (under the worker limit) and collects its outs from its folder. */
  async run(inst: Instance, options: RunOptions = {}): Promise<ChildRun> {
    const { ws, emit, signal } = this.#o;
    const announce = options.announce ?? false;
    await this.#gate.acquire(inst.name, this.#rank(options.rankOf ?? inst.name));
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
        threads: childThreads(this.#cores, this.#o.jobs, this.#running, this.#gate.wanting),
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
      if (options.keepWorker) this.#holding.add(inst.name);
      else this.#gate.release();
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
