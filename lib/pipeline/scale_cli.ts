/**
 * The CLI side of scale-out for `repro`: the `--remote` and `--shard-wait` flags, the remote
 * setting (flag, `QUARRY_REMOTE`, `remote:` in pipeline.yaml), the shard's summary line, the
 * executor hooks of `scale_out.ts`, and `--executor slurm` with its flags.
 *
 * @module
 */
import { join } from "node:path";
import { readRecordedCosts } from "./costs.ts";
import { readStageResources, SlurmExecutor } from "./executor/slurm.ts";
import type { Selection } from "./plan.ts";
import type { SandboxOptions, SandboxResult } from "./sandbox.ts";
import { remoteSetting, S3Remote } from "./remote.ts";
import { DEFAULT_SHARD_WAIT_SECONDS, type ScaleOutHooks, scaleOutHooks } from "./scale_out.ts";
import type { Workspace } from "./workspace.ts";

/** The flags, for `parseArgs`. */
export const SCALE_FLAGS = {
  remote: { type: "string" },
  "shard-wait": { type: "string" },
} as const;

/** What `repro` needs from the scale-out flags. */
export interface ScaleOut {
  /** The remote, when one is set. */
  readonly remote?: S3Remote;
  /** The executor hooks (absent when neither a remote nor a waiting shard is involved). */
  readonly hooks?: ScaleOutHooks;
  /** Shared upstream this shard waits for (empty unless a shard other than 1). */
  readonly awaited: ReadonlySet<string>;
  /** Lines for stderr describing the shard, if any. */
  readonly notes: readonly string[];
}

/**
 * Reads the flags and builds the hooks; throws `RangeError` on a bad `--remote`, `remote:` or
 * `--shard-wait`, or missing AWS credentials.
 */
export function openScaleOut(
  flags: { remote?: string | undefined; "shard-wait"?: string | undefined },
  pipelineFile: string,
  ws: Workspace,
  selection: Selection,
  io: { signal?: AbortSignal; log: (line: string) => void; offline?: boolean },
): ScaleOut {
  // `status` and `--dry` look at the local cache only: they need no remote (nor credentials).
  const url = io.offline ? undefined : remoteSetting(pipelineFile, flags.remote);
  const remote = url ? new S3Remote(url) : undefined;
  let waitSeconds = DEFAULT_SHARD_WAIT_SECONDS;
  if (flags["shard-wait"] !== undefined) {
    waitSeconds = Number(flags["shard-wait"]);
    if (!Number.isFinite(waitSeconds) || waitSeconds < 0) {
      throw new RangeError(
        `Invalid --shard-wait "${flags["shard-wait"]}": expected a number of seconds >= 0`,
      );
    }
  }
  const plan = selection.shard;
  const awaited = new Set(plan?.waits ? plan.shared : []);
  const notes: string[] = [];
  if (plan) {
    const { index, count } = plan.shard;
    const total = plan.loads.reduce((a, b) => a + b, 0);
    const load = plan.loads[index - 1] ?? 0;
    notes.push(
      `shard ${index}/${count}: ${plan.own.length} fan-out instance(s), expected cost ` +
        `${fmt(load)} of ${fmt(total)} (max/mean ${
          fmt(Math.max(...plan.loads) / (total / count || 1))
        }); shared upstream (${plan.shared.length}) ${
          plan.waits ? "waited for from shard 1" : "run here"
        }; aggregating left for a plain repro after all shards: ${
          plan.aggregating.join(", ") || "none"
        }`,
    );
  }
  const hooks = remote || awaited.size
    ? scaleOutHooks({
      cache: ws.cache,
      ...(remote ? { remote } : {}),
      awaited,
      ...(plan ? { shard: plan.shard } : {}),
      waitSeconds,
      ...(io.signal ? { signal: io.signal } : {}),
      log: io.log,
    })
    : undefined;
  return { ...(remote ? { remote } : {}), ...(hooks ? { hooks } : {}), awaited, notes };
}

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(2);
}

/** The executor flags, for `parseArgs`. */
export const EXECUTOR_FLAGS = {
  executor: { type: "string" },
  "slurm-partition": { type: "string" },
  "slurm-account": { type: "string" },
  "slurm-args": { type: "string", multiple: true },
  "group-seconds": { type: "string" },
} as const;

/** What `repro` needs from `--executor`. */
export interface ExecutorChoice {
  /** The drop-in for `runSandboxed` (absent: local). */
  readonly runChild?: (options: SandboxOptions) => Promise<SandboxResult>;
  /** Default `--jobs` (jobs in flight) for this executor, when the user gave none. */
  readonly jobs?: number;
  /** The Slurm executor, when chosen (its job ids per instance). */
  readonly slurm?: SlurmExecutor;
}

/**
 * Reads `--executor local|slurm` and the Slurm flags (or `QUARRY_EXECUTOR`,
 * `QUARRY_SLURM_PARTITION`, `QUARRY_SLURM_ACCOUNT`, `QUARRY_SLURM_ARGS`, `QUARRY_GROUP_SECONDS`;
 * grouping uses the recorded durations of `costs.ts`); throws `RangeError`
 * on a bad value or a bad `resources:` in the pipeline file.
 */
export function openExecutor(
  flags: {
    executor?: string | undefined;
    "slurm-partition"?: string | undefined;
    "slurm-account"?: string | undefined;
    "slurm-args"?: string[] | undefined;
    "group-seconds"?: string | undefined;
    /** The resolved profile, whose timing record gives the costs for `--group-seconds`. */
    profile?: string | undefined;
  },
  pipelineFile: string,
  ws: Workspace,
  log: (line: string) => void,
  env: (name: string) => string | undefined = (n) => Deno.env.get(n),
): ExecutorChoice {
  const kind = flags.executor ?? env("QUARRY_EXECUTOR") ?? "local";
  if (kind === "local") return {};
  if (kind !== "slurm") {
    throw new RangeError(`Invalid --executor "${kind}": expected "local" or "slurm"`);
  }
  const partition = flags["slurm-partition"] ?? env("QUARRY_SLURM_PARTITION");
  const account = flags["slurm-account"] ?? env("QUARRY_SLURM_ACCOUNT");
  const extra = flags["slurm-args"]?.length
    ? flags["slurm-args"]
    : (env("QUARRY_SLURM_ARGS") ?? "").split(/\s+/);
  const extraArgs = extra.flatMap((a) => a.split(/\s+/)).filter(Boolean);
  const group = flags["group-seconds"] ?? env("QUARRY_GROUP_SECONDS") ?? "0";
  const groupSeconds = Number(group);
  if (!Number.isFinite(groupSeconds) || groupSeconds < 0) {
    throw new RangeError(`Invalid --group-seconds "${group}": expected a number of seconds >= 0`);
  }
  // Unique per run without entering any result: names this run's jobs for squeue and scancel.
  const runId = `quarry-${Date.now().toString(36)}-${Deno.pid}`;
  const slurm = new SlurmExecutor({
    jobDir: join(ws.stateDir, "slurm", runId),
    runId,
    ...(partition ? { partition } : {}),
    ...(account ? { account } : {}),
    extraArgs,
    resources: readStageResources(pipelineFile),
    log,
    ...(groupSeconds ? { groupSeconds, costs: readRecordedCosts(ws.stateDir, flags.profile) } : {}),
  });
  return { runChild: slurm.run, jobs: 256, slurm };
}
