/**
 * Recorded durations, the expected cost of each instance for balancing shards and grouping Slurm
 * jobs: read from the runner's timing record (`.quarry/timing.json`, format version 1:
 * `{"version": 1, "instances": {"<instance>": {"meanSeconds": s, "seconds": s, ...}}}`). A
 * missing or unreadable record gives no costs (equal costs for shards, no grouping).
 *
 * @module
 */
import { timingPath } from "./timing.ts";

/** Instance name → expected seconds (the mean over runs of its key, else its latest run). */
export function readRecordedCosts(stateDir: string, profile?: string): Map<string, number> {
  const out = new Map<string, number>();
  let raw: { version?: unknown; instances?: Record<string, Record<string, unknown>> };
  try {
    raw = JSON.parse(Deno.readTextFileSync(timingPath(stateDir, profile)));
  } catch {
    return out; // only a hint
  }
  if (raw?.version !== 1 || !raw.instances || typeof raw.instances !== "object") return out;
  for (const [name, rec] of Object.entries(raw.instances)) {
    const s = rec?.meanSeconds ?? rec?.seconds;
    if (typeof s === "number" && Number.isFinite(s) && s >= 0) out.set(name, s);
  }
  return out;
}
