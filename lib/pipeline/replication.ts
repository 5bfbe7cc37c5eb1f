/**
 * What `repro --check` compares: the recomputed outs of an instance against its entry in the
 * committed `pipeline.lock`.
 *
 * Every out, metrics files included, is compared by content hash: outs hold results only (a
 * stage's wall-clock figures go to the runner's timing record through `ctx.measure`, never to an
 * out), so a replication on any machine must give the same bytes.
 *
 * @module
 */

/** An instance's recorded outs: out path → hash, metrics file → flattened metric values. */
export interface RecordedOuts {
  readonly outs: Readonly<Record<string, string>>;
  readonly metrics: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

/**
 * Lists the outs of an instance whose recomputation differs from the recorded one (sorted).
 *
 * @example A metrics file with a wall-clock value differs
 * ```ts
 * import { differingOuts } from "./replication.ts";
 * const before = { outs: { "m.json": "a" }, metrics: { "m.json": { acc: 0.9 } } };
 * const after = { outs: { "m.json": "b" }, metrics: { "m.json": { acc: 0.9 } } };
 * if (differingOuts(before, after).length !== 1) throw new Error("expected a difference");
 * ```
 */
export function differingOuts(recorded: RecordedOuts, now: RecordedOuts): string[] {
  const paths = new Set([...Object.keys(recorded.outs), ...Object.keys(now.outs)]);
  const differing: string[] = [];
  for (const path of paths) {
    const same = recorded.outs[path] !== undefined && recorded.outs[path] === now.outs[path];
    if (!same) differing.push(path);
  }
  return differing.sort();
}
