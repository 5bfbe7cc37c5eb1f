/**
 * How many threads a stage process may use: the machine's cores shared by the stages that run or
 * are ready to (at most `--jobs` of them) when it starts, so that a stage running alone (say the
 * target's training before any experiment is ready, or any stage with `--jobs 1`) gets every
 * core, and a full `--jobs` pool gets one each. The
 * runner passes it in the environment variable `QUARRY_THREADS`, which `lib/ml/backend.ts`
 * reads: results are the same bits for any thread count.
 *
 * @module
 */

/**
 * Threads for a stage starting now: `cores` over the stages that run (itself included) or are
 * ready to start, at most `jobs` of them.
 */
export function childThreads(cores: number, jobs: number, running: number, ready: number): number {
  const sharing = Math.max(1, Math.min(jobs, running + ready));
  return Math.max(1, Math.floor(Math.max(1, cores) / sharing));
}
