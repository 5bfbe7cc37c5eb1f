/**
 * `deno task diff [revA [revB]] [--json | --html [--out FILE]] [--profile P] [--all]`: compares
 * `pipeline.lock` between two commits, or a commit and the workspace (no revs: `HEAD` against the
 * workspace; one rev: that rev against the workspace). `workspace` names the working tree.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { diffLocks, type FigurePair, formatDiffHtml, formatDiffText } from "./diff.ts";
import { type LockFile, LockFileError, parseLockFile } from "./lock_file.ts";

/** The name of the working tree as a side of the diff. */
export const WORKSPACE = "workspace";

const LOCK_PATH = "pipeline.lock";
const FIGURE_ROOT = "artifacts";

async function git(args: string[]): Promise<{ ok: boolean; text: string; err: string }> {
  const out = await new Deno.Command("git", { args, stdout: "piped", stderr: "piped" }).output();
  const dec = new TextDecoder();
  return { ok: out.success, text: dec.decode(out.stdout), err: dec.decode(out.stderr) };
}

/** Reads a file at a revision (`workspace`: from disk); `null` when it does not exist there. */
export async function readAt(rev: string, path: string): Promise<string | null> {
  if (rev === WORKSPACE) {
    try {
      return await Deno.readTextFile(path);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return null;
      throw e;
    }
  }
  const r = await git(["show", `${rev}:${path}`]);
  return r.ok ? r.text : null;
}

/** The lock at a revision; an empty lock when it has none. */
export async function lockAt(rev: string): Promise<LockFile> {
  const text = await readAt(rev, LOCK_PATH);
  if (text === null) return { version: 1, profiles: {} };
  return parseLockFile(text, rev === WORKSPACE ? LOCK_PATH : `${rev}:${LOCK_PATH}`);
}

/** SVG files under `artifacts/` at a revision, sorted. */
export async function svgPathsAt(rev: string): Promise<string[]> {
  if (rev === WORKSPACE) {
    const found: string[] = [];
    const walk = async (dir: string) => {
      let entries: Deno.DirEntry[];
      try {
        entries = [...Deno.readDirSync(dir)];
      } catch {
        return;
      }
      for (const e of entries) {
        const p = `${dir}/${e.name}`;
        if (e.isDirectory) await walk(p);
        else if (e.isFile && e.name.endsWith(".svg")) found.push(p);
      }
    };
    await walk(FIGURE_ROOT);
    return found.sort();
  }
  const r = await git(["ls-tree", "-r", "--name-only", rev, "--", FIGURE_ROOT]);
  return r.ok ? r.text.split("\n").filter((p) => p.endsWith(".svg")).sort() : [];
}

/** Every figure present on either side, with both versions. */
export async function figurePairs(revA: string, revB: string): Promise<FigurePair[]> {
  const paths = [...new Set([...(await svgPathsAt(revA)), ...(await svgPathsAt(revB))])].sort();
  const pairs: FigurePair[] = [];
  for (const path of paths) {
    pairs.push({ path, a: await readAt(revA, path), b: await readAt(revB, path) });
  }
  return pairs;
}

/** Runs the command; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      json: { type: "boolean", default: false },
      html: { type: "boolean", default: false },
      out: { type: "string" },
      profile: { type: "string" },
      all: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(
      "Usage: deno task diff [revA [revB]] [--json | --html [--out FILE]] [--profile P] [--all]\n" +
        "Compares pipeline.lock between two commits or a commit and the workspace " +
        "(default: HEAD against the workspace).",
    );
    return 0;
  }
  if (positionals.length > 2) {
    console.error(`Invalid arguments: expected at most two revisions, got ${positionals.length}`);
    return 2;
  }
  const revA = positionals[0] ?? "HEAD";
  const revB = positionals[1] ?? WORKSPACE;
  for (const rev of [revA, revB]) {
    if (rev === WORKSPACE) continue;
    const r = await git(["rev-parse", "--verify", "--quiet", `${rev}^{commit}`]);
    if (!r.ok) {
      console.error(`Invalid revision "${rev}": not a commit in this repository`);
      return 2;
    }
  }
  let locks: [LockFile, LockFile];
  try {
    locks = [await lockAt(revA), await lockAt(revB)];
  } catch (e) {
    if (!(e instanceof LockFileError)) throw e;
    console.error(e.message);
    return 2;
  }
  const diff = diffLocks(locks[0], locks[1], {
    labels: [revA, revB],
    ...(values.profile !== undefined ? { profile: values.profile } : {}),
    all: values.all,
  });
  let text: string;
  if (values.json) text = JSON.stringify(diff, null, 2) + "\n";
  else if (values.html) text = formatDiffHtml(diff, await figurePairs(revA, revB));
  else text = formatDiffText(diff);
  if (values.out) {
    await Deno.writeTextFile(values.out, text);
    console.error(`Wrote ${values.out}`);
  } else {
    await Deno.stdout.write(new TextEncoder().encode(text));
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
