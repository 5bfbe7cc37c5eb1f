/**
 * `deno task cache push|pull|status`: moves run records and their objects between the local
 * cache and the remote (`--remote`, `QUARRY_REMOTE` or `remote:` in pipeline.yaml), for the keys
 * `pipeline.lock` names (every profile, or `--profile P`). `pull` fills the local cache only; the
 * next `repro` restores from it without running anything (DVC's `fetch`; `repro` is the checkout).
 *
 * Exit codes: 0 success, 1 a transfer failed (or `status` found keys missing from the remote,
 * with `--exit-code`), 2 usage.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { type CliIo, processIo, WORKSPACE_FLAGS } from "./cli.ts";
import type { Cache } from "./cache.ts";
import { readLockFile } from "./lock_file.ts";
import { remoteSetting, S3Remote } from "./remote.ts";
import { openWorkspaceAt } from "./workspace.ts";

const USAGE = `Usage:
  cache push|pull|status [--remote s3://bucket/prefix] [--profile P] [--pipeline FILE]
        [--cache DIR] [--json] [--exit-code]`;

/** Instance name → key, for the lock's profiles (or one). */
function lockKeys(lockPath: string, profile?: string): Map<string, string> {
  const lock = readLockFile(lockPath);
  const out = new Map<string, string>();
  for (const [p, entries] of Object.entries(lock.profiles)) {
    if (profile !== undefined && p !== profile) continue;
    for (const [name, e] of Object.entries(entries)) out.set(`${p}:${name}`, e.key);
  }
  return out;
}

/** Runs one cache command; returns the exit code. */
export async function runCacheCli(args: readonly string[], io: CliIo = processIo()) {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: {
        remote: { type: "string" },
        ...WORKSPACE_FLAGS,
        "exit-code": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (e) {
    io.stderr(`${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { values: v, positionals: [command, ...rest] } = parsed;
  if (v.help) return io.stderr(`${USAGE}\n`), 0;
  if (!command || !["push", "pull", "status"].includes(command) || rest.length) {
    io.stderr(`Expected one command, "push", "pull" or "status"\n${USAGE}\n`);
    return 2;
  }
  const file = resolve(v.pipeline ?? "pipeline.yaml");
  let remote: S3Remote;
  try {
    const url = remoteSetting(file, v.remote);
    if (!url) {
      throw new RangeError(
        "No remote: pass --remote s3://bucket/prefix, set QUARRY_REMOTE, or set remote: in pipeline.yaml",
      );
    }
    remote = new S3Remote(url);
  } catch (e) {
    io.stderr(`${(e as Error).message}\n`);
    return 2;
  }
  const ws = openWorkspaceAt(file, v.cache !== undefined ? { cacheDir: resolve(v.cache) } : {});
  const byKey = new Map([...lockKeys(ws.lockPath, v.profile)].map(([n, k]) => [k, n]));
  const report = await transfer(command as Command, remote, ws.cache, byKey, {
    ...io,
    quiet: v.json ?? false,
  });
  if (v.json) {
    io.stdout(`${JSON.stringify({ command, remote: remote.url, keys: byKey.size, ...report })}\n`);
  } else {
    io.stdout(
      `${command} ${remote.url}: ${byKey.size} key(s) in pipeline.lock: ${report.both} in both, ` +
        `${report.onlyLocal} only local, ${report.onlyRemote} only remote, ${report.neither} in neither` +
        (command === "status"
          ? ""
          : `; ${report.moved} object(s) moved, ${report.present} already there`) +
        (report.failed ? `; ${report.failed} failed` : "") + "\n",
    );
  }
  if (report.failed) return 1;
  return command === "status" && v["exit-code"] && report.both < byKey.size ? 1 : 0;
}

type Command = "push" | "pull" | "status";

/** What a command found and moved. */
interface Report {
  both: number;
  onlyLocal: number;
  onlyRemote: number;
  neither: number;
  moved: number;
  present: number;
  failed: number;
}

const WHERE = {
  onlyLocal: "only in the local cache (push)",
  onlyRemote: "only on the remote (pull)",
  neither: "in no cache",
} as const;

/** Pushes or pulls each key (by instance name) as the command says, then counts where it is. */
async function transfer(
  command: Command,
  remote: S3Remote,
  cache: Cache,
  byKey: ReadonlyMap<string, string>,
  io: { stdout: (t: string) => void; stderr: (t: string) => void; quiet: boolean },
): Promise<Report> {
  const report = {
    both: 0,
    onlyLocal: 0,
    onlyRemote: 0,
    neither: 0,
    moved: 0,
    present: 0,
    failed: 0,
  };
  for (const [key, name] of byKey) {
    try {
      const local = cache.getRun(key) !== undefined;
      let atLocal = local;
      let atRemote: boolean;
      if (command === "push" && local) {
        // A push that did not throw leaves the record on the remote (it was there, or now is).
        const c = await remote.pushRun(cache, key);
        report.moved += c.moved;
        report.present += c.present;
        atRemote = true;
      } else if (command === "pull" && !local) {
        // No count: the remote has no record. A count: the remote has it, and it was pulled.
        const c = await remote.pullRun(cache, key);
        report.moved += c?.moved ?? 0;
        report.present += c?.present ?? 0;
        atRemote = c !== undefined;
        atLocal = cache.getRun(key) !== undefined;
      } else atRemote = await remote.hasRun(key);
      const kind = atLocal && atRemote
        ? "both"
        : atLocal
        ? "onlyLocal"
        : atRemote
        ? "onlyRemote"
        : "neither";
      report[kind]++;
      if (command === "status" && kind !== "both" && !io.quiet) {
        io.stdout(`${name}: ${WHERE[kind]}\n`);
      }
    } catch (e) {
      report.failed++;
      io.stderr(`${name}: ${(e as Error).message}\n`);
    }
  }
  return report;
}

if (import.meta.main) Deno.exit(await runCacheCli(Deno.args));
