/**
 * What the analyzer's phases share: located values, the stage and instance drafts they hand on,
 * and the sink every phase reports its diagnostics to.
 *
 * @module
 */
import type { Diagnostic, SourceLocation } from "../diagnostic.ts";
import type { Instance } from "../graph.ts";
import type { ParamValue } from "../stage_context.ts";
import { nodeLocation, type YamlSource } from "../yaml_source.ts";

/** A value with the YAML node it came from (for positions). */
export interface Located<T> {
  /** The value. */
  value: T;
  /** The YAML node (a `yaml` package node; `unknown` so phases need not import its types). */
  node: unknown;
}

/** One matrix key and its values. */
export interface MatrixAxis {
  /** The matrix key. */
  key: string;
  /** Its values, in order. */
  values: Located<ParamValue>[];
}

/** A stage as read from `stages:`, before matrix expansion. */
export interface StageDraft {
  /** Stage name. */
  name: string;
  /** Position among the valid stages. */
  index: number;
  /** The YAML key node of the stage. */
  nameNode: unknown;
  /** `run:`. */
  run?: Located<string>;
  /** `desc:`. */
  desc?: string;
  /** `deps:`. */
  deps: Located<string>[];
  /** `params:`. */
  params: Located<string>[];
  /** `outs:`. */
  outs: Located<string>[];
  /** `metrics:`. */
  metrics: Located<string>[];
  /** `plots:`. */
  plots: Located<string>[];
  /** `net:`: hosts (`host` or `host:port`), `${var}` / `${params.key}` not yet interpolated. */
  net: Located<string>[];
  /** `env:`: variable names, sorted and deduplicated. */
  env?: string[];
  /** `timeout:` in seconds. */
  timeout?: number;
  /** `needs_large:` (default true). */
  needsLarge?: boolean;
  /** `matrix:` axes in declaration order. */
  matrix: MatrixAxis[];
  /** Set when a matrix axis was refused: expanding without it would only echo the problem. */
  matrixInvalid?: boolean;
}

/** An instance being built, with the nodes of its deps and outs. */
export interface InstanceDraft {
  /** The instance (its `upstream` is filled by the link phase). */
  inst: Instance & { upstream: string[] };
  /** The stage it expands. */
  draft: StageDraft;
  /** YAML node of each of `inst.deps`. */
  depNodes: unknown[];
  /** YAML node of each of `inst.outs`. */
  outNodes: unknown[];
  /** Position in expansion order (ties of the topological order). */
  index: number;
}

/** Collects the diagnostics of one analysis, locating YAML nodes in the pipeline file. */
export class DiagnosticSink {
  /** Every diagnostic so far, in the order reported. */
  readonly list: Diagnostic[] = [];
  /** The pipeline file. */
  readonly src: YamlSource;

  /** A sink for the pipeline file `src`. */
  constructor(src: YamlSource) {
    this.src = src;
  }

  /** The location of a node of the pipeline file. */
  at(node: unknown): SourceLocation {
    return nodeLocation(this.src, node);
  }

  /** Reports a problem at a node of the pipeline file. */
  err(field: string, message: string, node: unknown, related?: SourceLocation[]): void {
    this.list.push({ field, message, location: this.at(node), ...(related ? { related } : {}) });
  }

  /** Reports ready-made diagnostics. */
  push(...diagnostics: Diagnostic[]): void {
    this.list.push(...diagnostics);
  }

  /** Whether anything was reported. */
  get failed(): boolean {
    return this.list.length > 0;
  }
}

/** `"a", "b"` (or `(none declared)`). */
export function quoteList(items: readonly string[]): string {
  return items.length ? items.map((i) => `"${i}"`).join(", ") : "(none declared)";
}

/** The first line of an error's message. */
export function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0] ?? "";
}

/** Diagnostics in file order (file, line, column); those without a place last, stable. */
export function sortDiagnostics(d: readonly Diagnostic[]): Diagnostic[] {
  return d.map((x, i) => ({ x, i })).sort((a, b) => {
    const la = a.x.location;
    const lb = b.x.location;
    if (!la || !lb) return (la ? 0 : 1) - (lb ? 0 : 1) || a.i - b.i;
    return la.file.localeCompare(lb.file) || la.line - lb.line || la.column - lb.column ||
      a.i - b.i;
  }).map((p) => p.x);
}
