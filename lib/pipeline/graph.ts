/**
 * The validated pipeline graph: what the analyzer produces and the executor consumes.
 *
 * @module
 */
import type { ParamValue } from "./stage_context.ts";
import type { ParamTree } from "./params.ts";

/** One stage instance (a stage, or one point of its matrix), fully resolved. */
export interface Instance {
  /** `stage` or `stage@v1-v2` (matrix values in the matrix's key order). */
  readonly name: string;
  /** The stage it comes from. */
  readonly stage: string;
  /** Matrix values by key (empty without a matrix). */
  readonly vars: Readonly<Record<string, ParamValue>>;
  /** The run module, relative to the workspace (`/`-separated). */
  readonly run: string;
  /** Declared dotted param keys → resolved values. */
  readonly params: Readonly<Record<string, ParamValue>>;
  /** Deps relative to the workspace (a folder ends in `/`). */
  readonly deps: readonly string[];
  /** Every path the instance writes: outs, then metrics and plots not already listed. */
  readonly outs: readonly string[];
  /** The outs that are metrics (JSON files). */
  readonly metrics: readonly string[];
  /** The outs that are plots. */
  readonly plots: readonly string[];
  /** Hosts the instance may reach over the network (empty: none). */
  readonly net: readonly string[];
  /**
   * Extra environment variables the child may see (the stage's `env:` list), beside the runner's
   * fixed allow-list; names only, their values never reach a key or the lock.
   */
  readonly env?: readonly string[];
  /** Wall-clock limit in seconds (the stage's `timeout:`); the instance is killed and fails past it. */
  readonly timeout?: number;
  /**
   * False (the stage's `needs_large: false`): the stage reads only the committed files of its
   * deps, so the large outs its deps' producers left missing are not restored or rerun for it.
   */
  readonly needsLarge?: boolean;
  /** Free text, not part of the key. */
  readonly desc?: string;
  /** Names of the instances producing its deps, sorted. */
  readonly upstream: readonly string[];
}

/** A validated pipeline for one profile. */
export interface Graph {
  /** Absolute path of the pipeline file. */
  readonly file: string;
  /** Absolute path of the workspace (the pipeline file's folder). */
  readonly workspace: string;
  /** Active profile name (`default` when the pipeline declares none). */
  readonly profile: string;
  /** Resolved params tree for the profile and `--set` overrides. */
  readonly params: ParamTree;
  /** Stage names in declaration order. */
  readonly stages: readonly string[];
  /** Instances in a deterministic topological order (ties: declaration order). */
  readonly instances: readonly Instance[];
}

/** Strips a trailing `/`. */
export function stripSlash(path: string): string {
  return path.endsWith("/") ? path.slice(0, -1) : path;
}

/** True when `a` and `b` are the same path or one lies inside the other. */
export function pathsOverlap(a: string, b: string): boolean {
  const x = stripSlash(a);
  const y = stripSlash(b);
  return x === y || x.startsWith(`${y}/`) || y.startsWith(`${x}/`);
}

/** Map from instance name to instance. */
export function indexInstances(graph: Graph): Map<string, Instance> {
  return new Map(graph.instances.map((i) => [i.name, i]));
}

/** Names of all instances downstream of the given ones (not including them). */
export function downstreamOf(graph: Graph, names: Iterable<string>): Set<string> {
  const children = new Map<string, string[]>();
  for (const inst of graph.instances) {
    for (const up of inst.upstream) {
      const list = children.get(up) ?? [];
      list.push(inst.name);
      children.set(up, list);
    }
  }
  const out = new Set<string>();
  const stack = [...names];
  while (stack.length) {
    const n = stack.pop()!;
    for (const c of children.get(n) ?? []) {
      if (!out.has(c)) {
        out.add(c);
        stack.push(c);
      }
    }
  }
  return out;
}

/** Names of all instances upstream of the given ones (not including them). */
export function upstreamOf(graph: Graph, names: Iterable<string>): Set<string> {
  const byName = indexInstances(graph);
  const out = new Set<string>();
  const stack = [...names];
  while (stack.length) {
    const n = stack.pop()!;
    for (const u of byName.get(n)?.upstream ?? []) {
      if (!out.has(u)) {
        out.add(u);
        stack.push(u);
      }
    }
  }
  return out;
}
