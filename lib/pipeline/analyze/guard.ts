/**
 * The workspace guard (between expansion and linking): outs may not be, contain or lie inside
 * the workspace's own files — `.git/`, `.quarry/`, `node_modules/`, the pipeline file, its
 * lock, its params file, `deno.json(c)`, `deno.lock`, or any module of a stage's code — and deps
 * may not reach into `.git/`, `.quarry/`, `node_modules/` or the lock (not inputs: the runner
 * and git write them).
 *
 * @module
 */
import { isAbsolute, relative, resolve } from "node:path";
import { stripSlash } from "../graph.ts";
import type { DiagnosticSink, InstanceDraft, StageDraft } from "./common.ts";

/** Folders of the workspace that belong to git, the runner and Deno. */
const RESERVED_DIRS = [".git", ".quarry", "node_modules"] as const;
const CONFIG_FILES = ["deno.json", "deno.jsonc", "deno.lock"] as const;

/** What the guard needs to know about the workspace. */
export interface GuardContext {
  /** Absolute workspace path. */
  readonly workspace: string;
  /** Absolute path of the pipeline file. */
  readonly pipelineFile: string;
  /** Absolute path of the params file, when `params:` names one. */
  readonly paramsFile?: string;
  /**
   * The modules of a run module's code (its transitive local imports), absolute or
   * workspace-relative; default: the run module alone.
   */
  readonly codeFiles?: (moduleAbs: string) => Promise<readonly string[]>;
}

/** A protected path (workspace-relative, no trailing `/`) and what it is, for messages. */
interface Reserved {
  readonly path: string;
  readonly what: string;
  /** Not an input either (git, the runner or Deno write it): no dep may reach it. */
  readonly written?: boolean;
}

/** Reports every out and dep that touches the workspace's own files. */
export async function guardWorkspaceFiles(
  drafts: readonly StageDraft[],
  instances: readonly InstanceDraft[],
  ctx: GuardContext,
  sink: DiagnosticSink,
): Promise<void> {
  const own = [...ownFiles(ctx), ...await codeOf(drafts, ctx)];
  const notInputs = own.filter((r) => r.written);
  const seen = new Set<string>();
  const report = (field: string, message: string, node: unknown) => {
    const loc = sink.at(node);
    const tag = `${message}|${loc.line}:${loc.column}`;
    if (!seen.has(tag)) sink.err(field, message, node);
    seen.add(tag);
  };
  for (const i of instances) {
    const f = `stages.${i.draft.name}`;
    i.inst.outs.forEach((out, k) => {
      const hit = clash(out, own);
      if (hit) {
        report(
          `${f}.outs`,
          `Invalid out "${out}" in ${f}.outs: it ${hit.how} ${hit.r.what} "${hit.r.path}" (an out may not overwrite the workspace's own files)`,
          i.outNodes[k],
        );
      }
    });
    i.inst.deps.forEach((dep, k) => {
      const hit = clash(dep, notInputs);
      if (hit) {
        report(
          `${f}.deps[${k}]`,
          `Invalid dep "${dep}" in ${f}.deps: it ${hit.how} ${hit.r.what} "${hit.r.path}" (written by git or the runner, not an input)`,
          i.depNodes[k],
        );
      }
    });
  }
}

function clash(
  path: string,
  reserved: readonly Reserved[],
): { r: Reserved; how: string } | undefined {
  const p = stripSlash(path);
  for (const r of reserved) {
    if (p === r.path) return { r, how: "is" };
    if (r.path.startsWith(`${p}/`)) return { r, how: "contains" };
    if (p.startsWith(`${r.path}/`)) return { r, how: "lies inside" };
  }
  return undefined;
}

function inside(ctx: GuardContext, abs: string): string | undefined {
  const rel = relative(ctx.workspace, abs).replaceAll("\\", "/");
  return rel && !rel.startsWith("../") && rel !== ".." && !isAbsolute(rel) ? rel : undefined;
}

function ownFiles(ctx: GuardContext): Reserved[] {
  const out: Reserved[] = RESERVED_DIRS.map((d) => ({
    path: d,
    what: "the folder",
    written: true,
  }));
  const add = (abs: string | undefined, what: string, written = false) => {
    const rel = abs && inside(ctx, abs);
    if (rel) out.push({ path: rel, what, written });
  };
  add(ctx.pipelineFile, "the pipeline file");
  add(ctx.pipelineFile.replace(/\.ya?ml$/, "") + ".lock", "the pipeline's lock", true);
  add(ctx.paramsFile, "the params file");
  for (const name of CONFIG_FILES) {
    add(resolve(ctx.workspace, name), name === "deno.lock" ? "Deno's lock" : "Deno's config");
  }
  return out;
}

async function codeOf(drafts: readonly StageDraft[], ctx: GuardContext): Promise<Reserved[]> {
  const out = new Map<string, Reserved>();
  for (const d of drafts) {
    if (!d.run) continue;
    const abs = resolve(ctx.workspace, d.run.value);
    let files: readonly string[] = [abs];
    if (ctx.codeFiles) files = await ctx.codeFiles(abs).catch(() => [abs]);
    for (const f of [abs, ...files]) {
      const rel = inside(ctx, resolve(ctx.workspace, f));
      if (rel && !out.has(rel)) {
        out.set(rel, { path: rel, what: `a module of stage ${d.name}'s code` });
      }
    }
  }
  return [...out.values()];
}
