/**
 * Helpers the benchmarks share: the median of some timings and the machine's load around a run.
 *
 * @module
 */

import os from "node:os";

/** The median of some numbers (the upper one of the middle two; NaN for none). */
export function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

/** The 1-minute load average now. */
export function loadNow(): number {
  return os.loadavg()[0]!;
}

/** 1-minute load average at the start and end of a run, and the logical cores. */
export interface Load {
  start: number;
  end: number;
  cores: number;
}

/** The load of a run that began when the load average was `start`, as it ends now. */
export function loadSince(start: number): Load {
  return { start, end: loadNow(), cores: os.cpus().length };
}
