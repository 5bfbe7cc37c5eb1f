/**
 * The executor: runs the selected instances of a validated graph, in dependency order, up to
 * `jobs` children at once. Each instance is up to date (lock key and outs match), restored from
 * the cache, or run in a sandboxed child whose outs move into place only on success. A failure
 * skips its downstream and lets independent instances finish.
 *
 * @module
 */
import type { Graph } from "./graph.ts";
import type { Digest } from "./hash.ts";
import { ReproRun } from "./repro_run.ts";
import type { SandboxOptions, SandboxResult } from "./sandbox.ts";
import type { Workspace } from "./workspace.ts";

export { flattenMetrics } from "./outs.ts";

/** How an instance ended. */
export type Outcome = "ran" | "restored" | "up-to-date" | "failed" | "skipped";

/** Events the executor emits for reporters. */
export type ReproEvent =
  | { readonly type: "start"; readonly name: string }
  | { readonly type: "warning"; readonly name: string; readonly message: string }
  | {
    readonly type: "progress";
    readonly name: string;
    readonly done: number;
    readonly total: number;
  }
  | {
    readonly type: "finish";
    readonly name: string;
    readonly outcome: Outcome;
    readonly seconds: number;
    readonly error?: string;
    readonly log?: string;
  };

/** Options for {@linkcode reproduce}. */
export interface ReproOptions {
  /** Instances to consider (names, in graph order); default all. */
  readonly selected?: readonly string[];
  /** Instances that run even when up to date or cached (default none). */
  readonly force?: ReadonlySet<string>;
  /** Most children at once (default: number of cores). */
  readonly jobs?: number;
  /**
   * Check mode: run every selected instance, compare its outs with the lock, keep the lock and
   * the cache as they are.
   */
  readonly check?: boolean;
  /** Aborting stops children and starts nothing new. */
  readonly signal?: AbortSignal;
  /** Default per-instance time limit in seconds (a stage's own `timeout:` wins). */
  readonly timeout?: number;
  /** Receives events. */
  readonly onEvent?: (event: ReproEvent) => void;
  /**
   * Scale-out hook (`scale_out.ts`), before the cache lookup of an instance that is not up to
   * date: fetch its run record from a remote, or wait for another shard (calling `onWait` first);
   * a problem fails it.
   */
  readonly beforeRestore?: (
    name: string,
    key: Digest,
    onWait?: () => void,
  ) => Promise<string | undefined>;
  /**
   * Scale-out hook, after a fresh result was stored in the cache (push it to a remote). It runs
   * beside the next instances (the run ends when every push has); a throw is a warning.
   */
  readonly afterStore?: (name: string, key: Digest) => Promise<void>;
  /** Check mode restores these instead of rerunning them (a shard's shared upstream: shard 1's). */
  readonly checkSkip?: ReadonlySet<string>;
  /** Runs one child: `runSandboxed` (default) or another executor's drop-in (`executor/`). */
  readonly runChild?: (options: SandboxOptions) => Promise<SandboxResult>;
}

/** What a repro did, names in graph order. */
export interface ReproResult {
  /** Ran in a child. */
  readonly ran: string[];
  /** Up to date or restored from the cache. */
  readonly cached: string[];
  /** Failed. */
  readonly failed: string[];
  /** Not attempted: an upstream failed, or the run was interrupted. */
  readonly skipped: string[];
  /** Check mode: instances whose outs differ from the lock. */
  readonly mismatched: string[];
  /** Outcome and error per instance. */
  readonly outcomes: ReadonlyMap<string, { outcome: Outcome; error?: string }>;
  /** True when the signal aborted the run. */
  readonly interrupted: boolean;
  /** Wall-clock start and end (ms since the epoch) of each child run. */
  readonly timings: ReadonlyMap<string, { start: number; end: number }>;
}

/**
 * Reproduces the selected instances of a graph in a workspace and updates `pipeline.lock`
 * (except in check mode). Never throws for a failing stage: see the result.
 */
export function reproduce(
  graph: Graph,
  ws: Workspace,
  options: ReproOptions = {},
): Promise<ReproResult> {
  return new ReproRun(graph, ws, options).run();
}
