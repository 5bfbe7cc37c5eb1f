/**
 * The CLI side of scale-out for `repro`: the `--remote` and `--shard-wait` flags, the remote
 * setting (flag, `QUARRY_REMOTE`, `remote:` in pipeline.yaml), the shard's summary line, and the
 * executor hooks of `scale_out.ts`.
 *
 * @module
 */
import type { Selection } from "./plan.ts";
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
  io: { signal?: AbortSignal; log: (line: string) => void },
): ScaleOut {
  const url = remoteSetting(pipelineFile, flags.remote);
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
