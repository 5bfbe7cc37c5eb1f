/**
 * Which instances a command touches: targets (stage names, instance names or `*` globs), their
 * upstream or (`--downstream`) their downstream, and an optional shard of them (`shard.ts`).
 *
 * @module
 */
import { downstreamOf, type Graph, upstreamOf } from "./graph.ts";
import { planShard, type ShardPlan } from "./shard.ts";

/** A shard `i/n` (1-based index). */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** Options for {@linkcode selectInstances}. */
export interface SelectOptions {
  /** Stage names, instance names or globs (`train@mnist-*`); empty: everything. */
  readonly targets?: readonly string[];
  /** Take the targets and everything downstream of them, instead of their upstream. */
  readonly downstream?: boolean;
  /** Keep only this shard's fan-out instances and the shared upstream they need (`shard.ts`). */
  readonly shard?: Shard;
  /** Recorded durations (seconds) by instance name, to balance shards; default: equal costs. */
  readonly costs?: ReadonlyMap<string, number>;
}

/** The selection: every instance to consider, and those named by the targets. */
export interface Selection {
  /** Instances to consider, in graph order. */
  readonly selected: readonly string[];
  /** Instances matched by the targets (all, without targets). */
  readonly targeted: ReadonlySet<string>;
  /** With a shard: its plan (shared upstream to wait for, aggregating instances left out). */
  readonly shard?: ShardPlan;
}

/** Parses `i/n` into a shard; throws `RangeError` on bad values. */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index < 1 || index > count) {
    throw new RangeError(`Invalid --shard "${text}": expected i/n with 1 <= i <= n`);
  }
  return { index, count };
}

/** Resolves targets against a graph; throws `RangeError` naming an unknown target. */
export function selectInstances(graph: Graph, options: SelectOptions = {}): Selection {
  const names = graph.instances.map((i) => i.name);
  let targeted: Set<string>;
  if (!options.targets?.length) {
    targeted = new Set(names);
  } else {
    targeted = new Set();
    for (const t of options.targets) {
      const matched = matchTarget(graph, t);
      if (!matched.length) {
        throw new RangeError(
          `Unknown target "${t}": expected a stage (${
            graph.stages.map((s) => `"${s}"`).join(", ")
          }) or an instance name`,
        );
      }
      for (const m of matched) targeted.add(m);
    }
  }
  const extra = options.downstream ? downstreamOf(graph, targeted) : upstreamOf(graph, targeted);
  const all = new Set([...targeted, ...extra]);
  if (!options.shard) return { selected: names.filter((n) => all.has(n)), targeted };
  const plan = planShard(graph, all, options.shard, options.costs);
  const mine = new Set([...plan.own, ...plan.shared]);
  const runs = new Set(plan.waits ? plan.own : mine);
  return {
    selected: names.filter((n) => mine.has(n)),
    targeted: new Set([...targeted].filter((n) => runs.has(n))),
    shard: plan,
  };
}

function matchTarget(graph: Graph, target: string): string[] {
  if (target.includes("*")) {
    const re = new RegExp(
      `^${target.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`,
    );
    return graph.instances.filter((i) => re.test(i.name)).map((i) => i.name);
  }
  return graph.instances.filter((i) => i.name === target || i.stage === target).map((i) => i.name);
}
