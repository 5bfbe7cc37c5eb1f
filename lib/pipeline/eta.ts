/**
 * Time-left estimates from the runner's timing record (`timing.ts`): each pending instance's
 * recorded mean seconds (else the mean of its stage's recorded instances), scheduled over the DAG
 * on `jobs` workers by list scheduling (ready instances in graph order take the first free
 * worker). Pure functions; the executor and reporter feed them.
 *
 * @module
 */
import { workerRanks } from "./priority.ts";
import type { Timings } from "./timing.ts";

/** What the estimator needs of an instance. */
export interface EtaNode {
  readonly name: string;
  readonly stage: string;
  /** Upstream instance names (only pending ones matter). */
  readonly upstream: readonly string[];
  /** Matrix values, to estimate from the recorded instances most alike. */
  readonly vars?: Readonly<Record<string, unknown>>;
}

/** An estimate of the time left. */
export interface Eta {
  /** Wall-clock seconds until every pending instance has finished (known costs only). */
  readonly seconds: number;
  /** Pending instances with a recorded (or stage-mean) cost. */
  readonly known: number;
  /** Pending instances with no recorded cost at all (counted as 0 s). */
  readonly unknown: number;
  /** Workers assumed. */
  readonly jobs: number;
}

/**
 * The expected seconds of each named instance: its own recorded mean, else the mean over the
 * recorded instances of its stage; absent when neither is known.
 */
export function instanceCosts(
  nodes: readonly EtaNode[],
  timings: Timings,
): Map<string, number> {
  const recorded = new Map(Object.entries(timings.instances).map(([n, r]) => [n, r.meanSeconds]));
  return recordedCosts(nodes, recorded);
}

/**
 * The same from recorded seconds by instance name (the estimator, the shard planner and `--dry`
 * share it): an instance's own record, else the mean over the recorded instances of its stage
 * that share the most matrix values with it (a select run's cost depends on its strategy far more
 * than on its repeat); a negative or non-finite record counts as none.
 */
export function recordedCosts(
  nodes: readonly EtaNode[],
  recorded: ReadonlyMap<string, number>,
): Map<string, number> {
  const valid = validSeconds;
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const byStage = new Map<string, { vars: EtaNode["vars"]; secs: number }[]>();
  for (const [name, secs] of recorded) {
    if (!valid(secs)) continue;
    // Instance names are `stage@vars` or `stage`; the graph knows the stage of its own names.
    const node = byName.get(name);
    const stage = node?.stage ?? name.split("@")[0]!;
    byStage.set(stage, [...(byStage.get(stage) ?? []), { vars: node?.vars, secs }]);
  }
  const costs = new Map<string, number>();
  for (const n of nodes) {
    const own = recorded.get(n.name);
    const cost = valid(own) ? own : closestMean(n.vars, byStage.get(n.stage) ?? []);
    if (cost !== undefined) costs.set(n.name, cost);
  }
  return costs;
}

/** Whether a recorded duration counts: finite and not negative. */
export function validSeconds(s: number | undefined): s is number {
  return s !== undefined && Number.isFinite(s) && s >= 0;
}

// The mean seconds of the peers sharing the most matrix values with `vars`.
function closestMean(
  vars: EtaNode["vars"],
  peers: readonly { vars: EtaNode["vars"]; secs: number }[],
): number | undefined {
  if (!peers.length) return undefined;
  const shared = (other: EtaNode["vars"]) =>
    Object.entries(vars ?? {}).filter(([k, v]) => other?.[k] === v).length;
  const best = Math.max(...peers.map((p) => shared(p.vars)));
  const closest = peers.filter((p) => shared(p.vars) === best);
  return closest.reduce((a, p) => a + p.secs, 0) / closest.length;
}

/**
 * Estimates the time left to finish `pending` (instance names) on `jobs` workers.
 * `elapsed` gives, for instances already running, the seconds they have run: they occupy a
 * worker first, for what is left of their cost.
 *
 * @example Two independent 10 s instances and one 5 s instance after them, on 2 workers
 * ```ts
 * import { estimateRemaining } from "./eta.ts";
 * const nodes = [
 *   { name: "a", stage: "a", upstream: [] },
 *   { name: "b", stage: "b", upstream: [] },
 *   { name: "c", stage: "c", upstream: ["a", "b"] },
 * ];
 * const costs = new Map([["a", 10], ["b", 10], ["c", 5]]);
 * const eta = estimateRemaining(nodes, new Set(["a", "b", "c"]), costs, 2);
 * if (eta.seconds !== 15) throw new Error(`expected 15 s, got ${eta.seconds}`);
 * ```
 */
export function estimateRemaining(
  nodes: readonly EtaNode[],
  pending: ReadonlySet<string>,
  costs: ReadonlyMap<string, number>,
  jobs: number,
  elapsed: ReadonlyMap<string, number> = new Map(),
): Eta {
  const workers = Math.max(1, Math.floor(jobs));
  const todo = nodes.filter((n) => pending.has(n.name));
  const finishAt = new Map<string, number>();
  // Workers' next free times; running instances hold a worker from time 0.
  const free: number[] = [];
  let known = 0;
  let unknown = 0;
  const costOf = (name: string): number => {
    const c = costs.get(name);
    if (c === undefined) unknown++;
    else known++;
    return c ?? 0;
  };
  const rest: EtaNode[] = [];
  for (const n of todo) {
    if (elapsed.has(n.name) && free.length < workers) {
      const end = Math.max(0, costOf(n.name) - elapsed.get(n.name)!);
      finishAt.set(n.name, end);
      free.push(end);
    } else rest.push(n);
  }
  while (free.length < workers) free.push(0);
  // List scheduling as the runner does it (`priority.ts`): a free worker takes, of the instances
  // whose pending upstream has finished by then, the best ranked; if none has, the first to be.
  const rank = workerRanks(nodes);
  const left = new Set(rest);
  const unscheduled = new Set(rest.map((n) => n.name));
  while (left.size) {
    free.sort((a, b) => a - b);
    let pick: { n: EtaNode; at: number } | undefined;
    for (const n of left) {
      if (n.upstream.some((u) => unscheduled.has(u))) continue;
      const at = Math.max(free[0]!, ...n.upstream.map((u) => finishAt.get(u) ?? 0));
      if (!pick || at < pick.at || (at === pick.at && rank.get(n.name)! < rank.get(pick.n.name)!)) {
        pick = { n, at };
      }
    }
    // The graph is acyclic, so some instance always has its upstream scheduled.
    left.delete(pick!.n);
    unscheduled.delete(pick!.n.name);
    const end = pick!.at + costOf(pick!.n.name);
    free[0] = end;
    finishAt.set(pick!.n.name, end);
  }
  const seconds = Math.max(0, ...finishAt.values());
  return { seconds, known, unknown, jobs: workers };
}

/** A human duration: `40 s`, `12 min`, `3 h 10 min`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  const m = min % 60;
  return m ? `${h} h ${m} min` : `${h} h`;
}

/** The estimate as a line: `about 3 h 10 min left at 2 jobs (4 instances never ran here)`. */
export function formatEta(eta: Eta): string {
  if (!eta.known) {
    return `unknown: none of the ${eta.unknown} instance(s) to run has run here before`;
  }
  const unknown = eta.unknown ? ` (${eta.unknown} instance(s) never ran here, not counted)` : "";
  return `about ${formatDuration(eta.seconds)} left at ${eta.jobs} job${
    eta.jobs === 1 ? "" : "s"
  }${unknown}`;
}
