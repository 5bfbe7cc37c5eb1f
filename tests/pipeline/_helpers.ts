/**
 * Test helpers: isolated copies of fixture pipelines and an in-process CLI with captured output.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { runCli } from "../../lib/pipeline/cli.ts";

/** Absolute path of a fixture folder. */
export function fixturePath(name: string): string {
  return fileURLToPath(new URL(`../fixtures/pipeline/${name}`, import.meta.url));
}

function copyDir(src: string, dest: string): void {
  Deno.mkdirSync(dest, { recursive: true });
  for (const e of Deno.readDirSync(src)) {
    const s = join(src, e.name);
    const d = join(dest, e.name);
    if (e.isDirectory) copyDir(s, d);
    else Deno.copyFileSync(s, d);
  }
}

/** Copies a fixture pipeline to a fresh temp folder; returns the folder. */
export function copyFixture(name: string): string {
  const dir = Deno.makeTempDirSync({ prefix: `quarry-${name}-` });
  copyDir(fixturePath(name), dir);
  return dir;
}

/** Result of an in-process CLI call. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process, capturing stdout and stderr. */
export async function cli(args: string[], signal?: AbortSignal): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(args, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    tty: false,
    ...(signal ? { signal } : {}),
  });
  return { code, stdout, stderr };
}

/** Runs `repro --json` on a workspace and parses the result object. */
export async function reproJson(
  dir: string,
  extra: string[] = [],
): Promise<{ code: number; result: Record<string, string[]>; stderr: string }> {
  const r = await cli(["repro", "--pipeline", join(dir, "pipeline.yaml"), "--json", ...extra]);
  const lines = r.stdout.trim().split("\n");
  if (lines.length !== 1) {
    throw new Error(`expected one JSON line on stdout, got:\n${r.stdout}\n${r.stderr}`);
  }
  return { code: r.code, result: JSON.parse(lines[0]!), stderr: r.stderr };
}

/** Removes a temp folder. */
export function cleanup(dir: string): void {
  Deno.removeSync(dir, { recursive: true });
}

/** Whether a file or folder exists at `path`. */
export function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** `rel` under this run's temp folder (`.quarry/tmp/<run>/`), when it exists. */
export function findTmp(dir: string, rel: string): string | undefined {
  try {
    for (const run of Deno.readDirSync(join(dir, ".quarry/tmp"))) {
      const p = join(dir, ".quarry/tmp", run.name, rel);
      if (exists(p)) return p;
    }
  } catch {
    // no temp folder yet
  }
  return undefined;
}
