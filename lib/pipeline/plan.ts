/**
 * Which instances a command touches: targets (stage names, instance names or `*` globs), their
 * upstream or (`--downstream`) their downstream, and an optional deterministic shard.
 *
 * @module
 */
import { downstreamOf, type Graph, upstreamOf } from "./graph.ts";
import { sha256 } from "./hash.ts";

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
  /** Keep only this shard of the targets (with the upstream they need). */
  readonly shard?: Shard;
}

/** The selection: every instance to consider, and those named by the targets. */
export interface Selection {
  /** Instances to consider, in graph order. */
  readonly selected: readonly string[];
  /** Instances matched by the targets (all, without targets). */
  readonly targeted: ReadonlySet<string>;
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

/** The shard (1-based) an instance name falls in, out of `count`. */
export function shardOf(name: string, count: number): number {
  return (parseInt(sha256(name).slice(0, 8), 16) % count) + 1;
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
  if (options.shard) {
    const { index, count } = options.shard;
    targeted = new Set([...targeted].filter((n) => shardOf(n, count) === index));
  }
  const extra = options.downstream ? downstreamOf(graph, targeted) : upstreamOf(graph, targeted);
  const all = new Set([...targeted, ...extra]);
  return { selected: names.filter((n) => all.has(n)), targeted };
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
