/**
 * What `repro --check` compares: the recomputed outs of an instance against its entry in the
 * committed `pipeline.lock`.
 *
 * Outs are compared by content hash, except metrics files: a stage may record how long it took
 * under a top-level `timing` object of a metrics file (wall-clock seconds, samples per second),
 * which no two runs share. Metrics files are therefore compared by their metric values with the
 * `timing.*` keys left out, so a replication fails on a changed result, never on a slower machine.
 *
 * @module
 */

/** The prefix of metric keys that measure the run itself rather than its result. */
export const TIMING_PREFIX = "timing.";

/** An instance's recorded outs: out path → hash, metrics file → flattened metric values. */
export interface RecordedOuts {
  readonly outs: Readonly<Record<string, string>>;
  readonly metrics: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

/**
 * Lists the outs of an instance whose recomputation differs from the recorded one (sorted).
 *
 * @example Timing is not a result
 * ```ts
 * import { differingOuts } from "./replication.ts";
 * const before = { outs: { "m.json": "a" }, metrics: { "m.json": { acc: 0.9, "timing.s": 3 } } };
 * const after = { outs: { "m.json": "b" }, metrics: { "m.json": { acc: 0.9, "timing.s": 4 } } };
 * if (differingOuts(before, after).length !== 0) throw new Error("expected no difference");
 * ```
 */
export function differingOuts(recorded: RecordedOuts, now: RecordedOuts): string[] {
  const paths = new Set([...Object.keys(recorded.outs), ...Object.keys(now.outs)]);
  const differing: string[] = [];
  for (const path of paths) {
    const a = recorded.metrics[path];
    const b = now.metrics[path];
    const same = a !== undefined && b !== undefined
      ? sameResults(a, b)
      : recorded.outs[path] !== undefined && recorded.outs[path] === now.outs[path];
    if (!same) differing.push(path);
  }
  return differing.sort();
}

function sameResults(
  a: Readonly<Record<string, number>>,
  b: Readonly<Record<string, number>>,
): boolean {
  const keys = (m: Readonly<Record<string, number>>) =>
    Object.keys(m).filter((k) => !k.startsWith(TIMING_PREFIX)).sort();
  const ka = keys(a);
  const kb = keys(b);
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && Object.is(a[k], b[k]));
}
