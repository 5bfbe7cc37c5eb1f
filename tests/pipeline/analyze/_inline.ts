/**
 * Test helper: analyze a pipeline written inline, in a fresh workspace with a no-op stage module
 * `stages/ok.ts`, without loading stage modules (the phases before validation).
 *
 * @module
 */
import { join } from "node:path";
import {
  type AnalyzeOptions,
  analyzePipeline,
  type AnalyzeResult,
} from "../../../lib/pipeline/analyze.ts";
import { formatDiagnostic } from "../../../lib/pipeline/diagnostic.ts";
import { cleanup } from "../_helpers.ts";

/** Analyzes `yaml` (plus extra files) in a temp workspace that is removed afterwards. */
export async function analyzeInline(
  yaml: string,
  options: AnalyzeOptions = {},
  files: Record<string, string> = {},
): Promise<AnalyzeResult> {
  const dir = Deno.makeTempDirSync({ prefix: "quarry-inline-" });
  try {
    Deno.mkdirSync(join(dir, "stages"));
    Deno.writeTextFileSync(join(dir, "stages/ok.ts"), "export async function run() {}\n");
    for (const [name, text] of Object.entries(files)) Deno.writeTextFileSync(join(dir, name), text);
    Deno.writeTextFileSync(join(dir, "pipeline.yaml"), yaml);
    return await analyzePipeline(join(dir, "pipeline.yaml"), { importModules: false, ...options });
  } finally {
    cleanup(dir);
  }
}

/** The rendered diagnostics' first lines, `pipeline.yaml:L:C: message` (no temp folder). */
export function heads(r: AnalyzeResult): string[] {
  if (r.ok) return [];
  return r.diagnostics.map((d) =>
    formatDiagnostic(d).split("\n")[0]!.replaceAll(/[^\s"]*quarry-inline-[^/\\]+[/\\]/g, "")
  );
}
