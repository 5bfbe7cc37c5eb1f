/**
 * Shards that split the work (`--shard i/n`). The selected instances fall into three kinds:
 *
 * - **aggregating**: an instance of a stage without a matrix whose deps fan in (two or more
 *   upstream instances, e.g. `plots`), and everything downstream of one (`report`). No shard runs
 *   them; a plain `repro` after all shards does, restoring everything else from the shared cache.
 * - **shared upstream**: a hub that would keep too much work in one unit (e.g. `target@mnist`,
 *   which every run of its dataset reads), with everything upstream of it. Shard 1 runs them; every
 *   other shard waits until their run records appear in the shared cache (see `shard_wait.ts`).
 * - **fan-out**: the rest, grouped into units (the connected pieces left once the other two kinds
 *   are removed, so `select@…-entropy-r0` travels with the `stopping@…-r0` that reads it). Units
 *   are dealt to shards by expected cost with a deterministic greedy LPT (largest first, to the
 *   least-loaded shard, ties to the lower index), shard 1 starting with the shared cost.
 *
 * Pure functions of the graph, the selection and the costs: every shard computes the same plan.
 *
 * @module
 */
import { recordedCosts, validSeconds } from "./eta.ts";
import { downstreamOf, type Graph, upstreamOf } from "./graph.ts";
import type { Shard } from "./plan.ts";

/** The three kinds of selected instances, see the module doc. */
export interface ShardClasses {
  /** Aggregating instances, graph order. */
  readonly aggregating: readonly string[];
  /** Shared upstream instances, graph order. */
  readonly shared: readonly string[];
  /** Fan-out units, each in graph order; units ordered by their first instance. */
  readonly units: readonly (readonly string[])[];
}

/** What one shard does. */
export interface ShardPlan {
  /** The shard. */
  readonly shard: Shard;
  /** The fan-out instances this shard runs, graph order. */
  readonly own: readonly string[];
  /** Shard 1: every shared instance (it runs them); others: the shared ones their units need. */
  readonly shared: readonly string[];
  /** True when this shard waits for `shared` instead of running them (every shard but 1). */
  readonly waits: boolean;
  /** Aggregating instances no shard runs, graph order. */
  readonly aggregating: readonly string[];
  /** Expected cost per shard (index 0 is shard 1), shared upstream counted in shard 1. */
  readonly loads: readonly number[];
}

/**
 * Classifies the selected instances (a subset of the graph, any order) for `count` shards.
 *
 * Shared upstream is found by cutting: while some unit holds more than half a shard's share of the
 * fan-out instances, its hub (the instance with the most dependants inside it, ties to graph
 * order) and the hub's upstream become shared. So `target@mnist`, which every run of its dataset
 * reads, is cut, while `select@…-r0` stays in one unit with the `transfer` and `stopping`
 * instances that read it.
 */
export function classifyInstances(
  graph: Graph,
  selected: Iterable<string>,
  count = 1,
): ShardClasses {
  const sel = new Set(selected);
  const order = graph.instances.filter((i) => sel.has(i.name));
  const ups = new Map(order.map((i) => [i.name, i.upstream.filter((u) => sel.has(u))]));
  const roots = order.filter((i) => Object.keys(i.vars).length === 0 && ups.get(i.name)!.length > 1)
    .map((i) => i.name);
  const agg = new Set([...roots, ...[...downstreamOf(graph, roots)].filter((n) => sel.has(n))]);
  const rest = order.filter((i) => !agg.has(i.name)).map((i) => i.name);
  const limit = Math.max(1, Math.floor(rest.length / (2 * Math.max(1, count))));
  const shared = new Set<string>();
  const links = (n: string) => ups.get(n)!.filter((u) => !agg.has(u) && !shared.has(u));
  for (;;) {
    const units = components(rest.filter((n) => !shared.has(n)), links);
    const big = units.find((u) => u.length > limit);
    const cut = big && hubOf(big, links);
    if (cut === undefined) {
      return {
        aggregating: order.map((i) => i.name).filter((n) => agg.has(n)),
        shared: rest.filter((n) => shared.has(n)),
        units,
      };
    }
    for (const n of [cut, ...upstreamOf(graph, [cut])]) {
      if (sel.has(n) && !agg.has(n)) shared.add(n);
    }
  }
}

/** The instance of `unit` with the most dependants inside it (two at least), else undefined. */
function hubOf(unit: readonly string[], links: (n: string) => string[]): string | undefined {
  const dependants = new Map<string, number>();
  for (const n of unit) for (const u of links(n)) dependants.set(u, (dependants.get(u) ?? 0) + 1);
  let best: string | undefined;
  for (const n of unit) {
    const d = dependants.get(n) ?? 0;
    if (d >= 2 && d > (best === undefined ? 0 : dependants.get(best)!)) best = n;
  }
  return best;
}

/** Connected components of `names` (graph order) under the `links` relation, in graph order. */
function components(names: readonly string[], links: (n: string) => string[]): string[][] {
  const index = new Map(names.map((n, k) => [n, k]));
  const parent = names.map((_, k) => k);
  const find = (k: number): number => {
    while (parent[k] !== k) k = parent[k] = parent[parent[k]!]!;
    return k;
  };
  names.forEach((n, k) => {
    for (const u of links(n)) {
      const [a, b] = [find(k), find(index.get(u)!)];
      // The root is the earliest instance, so units come out ordered by their first instance.
      if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
    }
  });
  const byRoot = new Map<number, string[]>();
  names.forEach((n, k) => {
    const r = find(k);
    if (byRoot.has(r)) byRoot.get(r)!.push(n);
    else byRoot.set(r, [n]);
  });
  return [...byRoot.entries()].sort((x, y) => x[0] - y[0]).map(([, unit]) => unit);
}

/**
 * Expected cost (seconds, or any consistent unit) of each named instance: its recorded duration
 * where `recorded` has one, else the mean recorded for its stage, else the mean of all recorded,
 * else 1 (equal costs, as on an empty cache).
 */
export function expectedCosts(
  graph: Graph,
  names: Iterable<string>,
  recorded: ReadonlyMap<string, number> = new Map(),
): Map<string, number> {
  const costs = recordedCosts(graph.instances, recorded);
  const all = graph.instances.map((i) => recorded.get(i.name)).filter(validSeconds);
  const fallback = all.length ? all.reduce((a, b) => a + b, 0) / all.length : 1;
  return new Map([...names].map((n) => [n, costs.get(n) ?? fallback]));
}

/**
 * Greedy LPT: deals items (by cost, largest first, ties by index) to `count` bins, each to the
 * least-loaded bin (ties: lowest bin). Returns the bin (0-based) of every item, and the loads.
 */
export function assignLpt(
  costs: readonly number[],
  count: number,
  initial: readonly number[] = [],
): { bins: number[]; loads: number[] } {
  const loads = Array.from({ length: count }, (_, k) => initial[k] ?? 0);
  const bins = new Array<number>(costs.length).fill(0);
  const order = costs.map((_, k) => k).sort((a, b) => costs[b]! - costs[a]! || a - b);
  for (const k of order) {
    let best = 0;
    for (let b = 1; b < count; b++) if (loads[b]! < loads[best]!) best = b;
    bins[k] = best;
    loads[best]! += costs[k]!;
  }
  return { bins, loads };
}

/** Plans one shard of the selected instances; see the module doc. */
export function planShard(
  graph: Graph,
  selected: Iterable<string>,
  shard: Shard,
  recorded?: ReadonlyMap<string, number>,
): ShardPlan {
  const classes = classifyInstances(graph, selected, shard.count);
  const names = [...classes.shared, ...classes.units.flat()];
  const cost = expectedCosts(graph, names, recorded);
  const sum = (ns: readonly string[]) => ns.reduce((a, n) => a + cost.get(n)!, 0);
  const { bins, loads } = assignLpt(classes.units.map(sum), shard.count, [sum(classes.shared)]);
  const mine = new Set(classes.units.filter((_, k) => bins[k] === shard.index - 1).flat());
  const order = graph.instances.map((i) => i.name);
  const own = order.filter((n) => mine.has(n));
  let shared = classes.shared;
  if (shard.index !== 1) {
    const needed = upstreamOf(graph, own);
    shared = classes.shared.filter((n) => needed.has(n));
  }
  return {
    shard,
    own,
    shared,
    waits: shard.index !== 1,
    aggregating: classes.aggregating,
    loads,
  };
}
