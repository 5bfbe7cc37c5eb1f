/**
 * Recorded durations, the expected cost of each instance for balancing shards and grouping Slurm
 * jobs: read from the runner's timing record (`timing.ts`). A missing or unreadable record gives
 * no costs (equal costs for shards, no grouping).
 *
 * @module
 */
import { readTimings, timingPath } from "./timing.ts";

/** Instance name → expected seconds (the mean over runs of its key, else its latest run). */
export function readRecordedCosts(stateDir: string, profile?: string): Map<string, number> {
  const out = new Map<string, number>();
  const { instances } = readTimings(timingPath(stateDir, profile));
  for (const [name, rec] of Object.entries(instances)) {
    // The record is only a hint: a hand-edited or foreign entry without a usable figure is left out.
    const s = (rec as Partial<typeof rec> | null)?.meanSeconds ?? rec?.seconds;
    if (typeof s === "number" && Number.isFinite(s) && s >= 0) out.set(name, s);
  }
  return out;
}
