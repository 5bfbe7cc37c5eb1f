/**
 * The runner's timing record: how long each instance took and what it measured about itself
 * (e.g. samples per second), kept in `.quarry/timing.json` beside the workspace state. It is
 * machine-dependent by nature, so it is never part of a key, an out, the cache or
 * `pipeline.lock`, and it is not committed. It is what ETAs (`repro --dry`) and cost-balanced
 * sharding can read.
 *
 * Format (JSON, one file per profile: {@linkcode timingPath}): `{"version": 1, "instances":
 * {"<instance>": TimingRecord}}`, one record per instance name: the latest run, plus a running mean over runs of the same key.
 *
 * @module
 */
import { join } from "node:path";
import { writeFileAtomic } from "./fs_util.ts";

/** The timing record file inside a workspace's state folder. */
export const TIMING_FILE = "timing.json";

/** What the runner remembers about an instance's runs. */
export interface TimingRecord {
  /** The key of the latest run. */
  readonly key: string;
  /** Wall-clock seconds of the child, latest run. */
  readonly seconds: number;
  /** Mean seconds over the runs of this key (`runs` of them). */
  readonly meanSeconds: number;
  /** How many runs of this key the mean covers. */
  readonly runs: number;
  /** What the stage measured about itself (`ctx.measure(name, value)`), latest run. */
  readonly measures: Readonly<Record<string, number>>;
}

/** The whole record: instance name → timing. */
export interface Timings {
  readonly version: 1;
  readonly instances: Readonly<Record<string, TimingRecord>>;
}

/** One finished run, as the executor reports it. */
export interface TimingSample {
  readonly key: string;
  readonly seconds: number;
  readonly measures?: Readonly<Record<string, number>>;
}

/**
 * The timing file of a workspace state folder (`.quarry/`) for a profile: one file per profile,
 * since instance names repeat across profiles (`target@mnist` takes seconds in `smoke` and
 * minutes in `paper`). The profile `default` (a pipeline without profiles) uses `timing.json`.
 */
export function timingPath(stateDir: string, profile = "default"): string {
  return join(stateDir, profile === "default" ? TIMING_FILE : `timing.${profile}.json`);
}

/** Reads the timing record; missing or unreadable gives an empty one (it is only a hint). */
export function readTimings(path: string): Timings {
  try {
    const raw = JSON.parse(Deno.readTextFileSync(path)) as Partial<Timings>;
    if (raw && raw.version === 1 && raw.instances && typeof raw.instances === "object") {
      return { version: 1, instances: raw.instances };
    }
  } catch {
    // a missing or corrupt record only costs the estimates
  }
  return { version: 1, instances: {} };
}

/**
 * Folds one run into a record (pure): a new key restarts the mean.
 *
 * @example Usage
 * ```ts
 * import { mergeTiming } from "./timing.ts";
 * const a = mergeTiming(undefined, { key: "k", seconds: 2 });
 * const b = mergeTiming(a, { key: "k", seconds: 4 });
 * if (b.meanSeconds !== 3 || b.runs !== 2) throw new Error("expected the mean of two runs");
 * ```
 */
export function mergeTiming(prev: TimingRecord | undefined, sample: TimingSample): TimingRecord {
  const same = prev !== undefined && prev.key === sample.key;
  const runs = same ? prev.runs + 1 : 1;
  const meanSeconds = same
    ? prev.meanSeconds + (sample.seconds - prev.meanSeconds) / runs
    : sample.seconds;
  return {
    key: sample.key,
    seconds: sample.seconds,
    meanSeconds,
    runs,
    measures: { ...(sample.measures ?? {}) },
  };
}

/**
 * Records runs of instances in the timing file (read, merge, atomic write: a concurrent writer
 * loses at most its own latest samples).
 */
export function recordTimings(path: string, samples: ReadonlyMap<string, TimingSample>): void {
  if (!samples.size) return;
  const cur = readTimings(path);
  const instances: Record<string, TimingRecord> = { ...cur.instances };
  for (const [name, s] of samples) instances[name] = mergeTiming(instances[name], s);
  writeFileAtomic(path, `${JSON.stringify({ version: 1, instances }, null, 2)}\n`);
}

/** Records one run of one instance (see {@linkcode recordTimings}). */
export function recordTiming(path: string, instance: string, sample: TimingSample): void {
  recordTimings(path, new Map([[instance, sample]]));
}

/**
 * The expected seconds of an instance: the mean of its runs, any key (code or params changes
 * rarely change the cost much); `undefined` when it never ran here.
 */
export function estimateSeconds(timings: Timings, instance: string): number | undefined {
  return timings.instances[instance]?.meanSeconds;
}
