/**
 * Phase 1: read the pipeline file with node positions, refuse YAML aliases and merge keys, and
 * split the top-level mapping into its known keys.
 *
 * @module
 */
import type { Node, YAMLMap } from "yaml";
import { isAlias, isPair, isScalar, visit } from "yaml";
import type { Diagnostic } from "../diagnostic.ts";
import { asMap, loadYaml, nodeLocation, pairKey, type YamlSource } from "../yaml_source.ts";
import { DiagnosticSink, quoteList } from "./common.ts";

/** The keys a pipeline file may have at the top level. */
export const TOP_KEYS = ["params", "profiles", "default_profile", "stages"] as const;

/** A top-level entry: its key node and value node. */
export interface TopEntry {
  /** The key's node. */
  readonly keyNode: unknown;
  /** The value's node (`null` when empty). */
  readonly value: Node | null;
}

/** A loaded pipeline file: its source, root mapping and known top-level entries. */
export interface LoadedPipeline {
  /** The parsed file. */
  readonly src: YamlSource;
  /** The top-level mapping. */
  readonly root: YAMLMap;
  /** Known top-level keys → entries. */
  readonly top: ReadonlyMap<string, TopEntry>;
  /** Where later phases report (already holding this phase's non-fatal problems). */
  readonly sink: DiagnosticSink;
}

/**
 * Loads a pipeline file. Fatal problems (missing file, YAML syntax, aliases or merge keys, not a
 * mapping) come back as diagnostics; unknown top-level keys are reported to the sink and the rest
 * of the file is still analyzed.
 */
export function loadPipeline(
  path: string,
  shown: string,
): LoadedPipeline | { diagnostics: Diagnostic[] } {
  let loaded;
  try {
    loaded = loadYaml(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      return { diagnostics: [{ field: "(file)", message: `Pipeline file not found: "${shown}"` }] };
    }
    throw e;
  }
  const src = loaded.source;
  if (loaded.diagnostics.length) return { diagnostics: loaded.diagnostics };
  const sink = new DiagnosticSink(src);
  const root = asMap(src.doc.contents);
  if (!root) {
    sink.err(
      "(root)",
      `Invalid pipeline in "${src.display}": expected a mapping at the top level`,
      src.doc.contents,
    );
    return { diagnostics: sink.list };
  }
  const aliases = aliasDiagnostics(src);
  if (aliases.length) return { diagnostics: aliases }; // later phases would only echo them
  const top = new Map<string, TopEntry>();
  for (const pair of root.items) {
    const key = pairKey(pair);
    if (!(TOP_KEYS as readonly string[]).includes(key)) {
      sink.err(
        key,
        `Unknown key "${key}" at the top level: expected one of ${quoteList(TOP_KEYS)}`,
        pair.key,
      );
      continue;
    }
    top.set(key, { keyNode: pair.key, value: pair.value });
  }
  return { src, root, top, sink };
}

/**
 * One diagnostic per YAML alias (`*name`) and merge key (`<<:`) in a file: they would reach
 * stages as unresolved objects, so the pipeline must spell values out.
 *
 * @example Usage
 * ```ts ignore
 * const diags = aliasDiagnostics(loadYaml("pipeline.yaml").source);
 * ```
 */
export function aliasDiagnostics(src: YamlSource): Diagnostic[] {
  const out: Diagnostic[] = [];
  const merged = new Set<unknown>();
  visit(src.doc, {
    Pair(_key, pair) {
      if (isPair(pair) && isScalar(pair.key) && pair.key.value === "<<") {
        merged.add(pair.value);
        out.push({
          field: "(yaml)",
          message:
            `Unsupported YAML merge key "<<" in "${src.display}": write the keys out (aliases and merge keys are not resolved)`,
          location: nodeLocation(src, pair.key),
        });
      }
    },
    Alias(_key, node) {
      if (merged.has(node) || !isAlias(node)) return;
      out.push({
        field: "(yaml)",
        message:
          `Unsupported YAML alias "*${node.source}" in "${src.display}": write the value out (aliases and merge keys are not resolved)`,
        location: nodeLocation(src, node),
      });
    },
  });
  return out;
}
