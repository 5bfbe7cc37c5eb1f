/**
 * A YAML file parsed with node ranges kept, so that every value can be traced back to its
 * 1-based `line:column`.
 *
 * @module
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import type { Document, Node, Pair, Scalar, YAMLMap, YAMLSeq } from "yaml";
import { relative } from "node:path";
import type { Diagnostic, SourceLocation } from "./diagnostic.ts";

/** A parsed YAML file with what is needed to locate its nodes. */
export interface YamlSource {
  /** Absolute path. */
  readonly path: string;
  /** Path shown in diagnostics. */
  readonly display: string;
  readonly text: string;
  readonly doc: Document.Parsed;
  readonly lines: LineCounter;
}

/** A path for messages: relative to the cwd when inside it, else absolute. */
export function displayPath(abs: string): string {
  const rel = relative(Deno.cwd(), abs);
  return rel && !rel.startsWith("..") ? rel : abs;
}

/**
 * Reads and parses a YAML file. Syntax errors come back as diagnostics (with positions); a
 * missing file throws `Deno.errors.NotFound`.
 */
export function loadYaml(path: string): { source: YamlSource; diagnostics: Diagnostic[] } {
  const text = Deno.readTextFileSync(path);
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const source: YamlSource = { path, display: displayPath(path), text, doc, lines };
  const diagnostics: Diagnostic[] = doc.errors.map((err) => ({
    field: "(yaml)",
    message: `YAML syntax error: ${err.message.split("\n")[0]}`,
    location: locate(source, err.pos[0], Math.max(1, err.pos[1] - err.pos[0])),
  }));
  return { source, diagnostics };
}

/** The location of a character offset in a source. */
export function locate(source: YamlSource, offset: number, length = 1): SourceLocation {
  const { line, col } = source.lines.linePos(offset);
  const lineText = source.text.split("\n")[line - 1] ?? "";
  return { file: source.display, line, column: col, length: Math.max(1, length), lineText };
}

/** The location of a node (its first line), or the start of the file when it has no range. */
export function nodeLocation(source: YamlSource, node: unknown): SourceLocation {
  const range = (node as Node | null)?.range;
  if (!range) return locate(source, 0);
  const start = range[0];
  const end = range[1];
  const nl = source.text.indexOf("\n", start);
  const lineEnd = nl < 0 ? source.text.length : nl;
  return locate(source, start, Math.min(end, lineEnd) - start);
}

/** Narrowing helpers for YAML nodes. */
export function asMap(node: unknown): YAMLMap<Scalar, Node | null> | undefined {
  return isMap(node) ? (node as YAMLMap<Scalar, Node | null>) : undefined;
}

/** Narrows to a sequence node. */
export function asSeq(node: unknown): YAMLSeq<Node | null> | undefined {
  return isSeq(node) ? (node as YAMLSeq<Node | null>) : undefined;
}

/** The key of a map pair as a string. */
export function pairKey(pair: Pair<unknown, unknown>): string {
  const key = pair.key;
  if (isScalar(key)) return String(key.value);
  return String(key);
}

/** Converts a node to a plain JS value (aliases resolved). */
export function toPlain(source: YamlSource, node: unknown): unknown {
  if (node === null || node === undefined) return null;
  if (isAlias(node)) return toPlain(source, node.resolve(source.doc));
  const n = node as Node;
  return n.toJSON?.() ?? (isScalar(n) ? n.value : null);
}
