/**
 * Positioned diagnostics: every problem the analyzer finds names the file, the 1-based line and
 * column, and the field it concerns, so a user can jump straight to it.
 *
 * @module
 */

/** A place in a source file (1-based line and column). */
export interface SourceLocation {
  /** File path as shown to the user (relative to the cwd when inside it). */
  readonly file: string;
  /** 1-based line. */
  readonly line: number;
  /** 1-based column. */
  readonly column: number;
  /** Number of characters the problem spans on that line (at least 1). */
  readonly length: number;
  /** The text of that line, for the excerpt under the message. */
  readonly lineText?: string;
}

/** One problem found while analyzing a pipeline. */
export interface Diagnostic {
  /** Dotted path of the field at fault, e.g. `stages.train.deps[0]`. */
  readonly field: string;
  /** What is wrong and what was expected. */
  readonly message: string;
  /** Where, when the problem has a place in a file. */
  readonly location?: SourceLocation;
  /** Other places involved (the other out of a clash, every edge of a cycle). */
  readonly related?: readonly SourceLocation[];
}

/**
 * Renders a diagnostic as `file:line:column: message`, followed by the source line and a `~~~`
 * marker under the span.
 *
 * @example Usage
 * ```ts
 * import { formatDiagnostic } from "./diagnostic.ts";
 * const text = formatDiagnostic({
 *   field: "stages.a.run",
 *   message: "Missing run module",
 *   location: { file: "pipeline.yaml", line: 3, column: 10, length: 4 },
 * });
 * if (!text.startsWith("pipeline.yaml:3:10: Missing run module")) throw new Error(text);
 * ```
 */
export function formatDiagnostic(diagnostic: Diagnostic): string {
  const lines: string[] = [];
  const loc = diagnostic.location;
  lines.push(loc ? `${formatLocation(loc)}: ${diagnostic.message}` : diagnostic.message);
  if (loc?.lineText !== undefined) lines.push(...excerpt(loc));
  for (const rel of diagnostic.related ?? []) {
    lines.push(`  see ${formatLocation(rel)}`);
    if (rel.lineText !== undefined) lines.push(...excerpt(rel).map((l) => `  ${l}`));
  }
  return lines.join("\n");
}

/** `file:line:column` of a location. */
export function formatLocation(loc: SourceLocation): string {
  return `${loc.file}:${loc.line}:${loc.column}`;
}

function excerpt(loc: SourceLocation): string[] {
  const text = (loc.lineText ?? "").replace(/\t/g, " ");
  const width = Math.max(1, Math.min(loc.length, text.length - loc.column + 1));
  return [`    ${text}`, `    ${" ".repeat(Math.max(0, loc.column - 1))}${"~".repeat(width)}`];
}

/** Thrown when a pipeline does not validate; carries every diagnostic. */
export class PipelineError extends SyntaxError {
  /** All problems found, in file order. */
  readonly diagnostics: readonly Diagnostic[];

  /** Builds the error; its message renders every diagnostic. */
  constructor(diagnostics: readonly Diagnostic[]) {
    super(
      `Invalid pipeline: ${diagnostics.length} problem${diagnostics.length === 1 ? "" : "s"}\n` +
        diagnostics.map(formatDiagnostic).join("\n"),
    );
    this.name = "PipelineError";
    this.diagnostics = diagnostics;
  }
}
