/**
 * Runs one stage instance in its own `deno run` process that may read anything, but write only
 * its temporary out folder and reach only the hosts the stage declares.
 *
 * @module
 */
import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import type { ParamValue } from "./stage_context.ts";
import { toFileUrl } from "./url.ts";

const CHILD_MAIN = fileURLToPath(new URL("./_child_main.ts", import.meta.url));
const PREFIX = "\x1equarry:";
const LOG_LIMIT = 64 * 1024;

/** What the child receives (becomes its `ctx`). */
export interface ChildContext {
  readonly name: string;
  readonly vars: Readonly<Record<string, ParamValue>>;
  readonly params: Readonly<Record<string, ParamValue>>;
  readonly deps: readonly string[];
  readonly outs: readonly string[];
}

/** Options for {@linkcode runSandboxed}. */
export interface SandboxOptions {
  /** Absolute workspace path: the child's cwd. */
  readonly workspace: string;
  /** Absolute path of the run module. */
  readonly module: string;
  /** Absolute path of the only folder the child may write. */
  readonly writeDir: string;
  /** Hosts the child may reach (empty: no network). */
  readonly net: readonly string[];
  /** The context passed to `run`. */
  readonly ctx: ChildContext;
  /** Aborting kills the child. */
  readonly signal?: AbortSignal;
  /** Called on each progress report. */
  readonly onProgress?: (done: number, total: number) => void;
  /** Threads the stage may use, passed as `QUARRY_THREADS` (see `threads.ts`); default unset. */
  readonly threads?: number;
}

/** The outcome of a child run. */
export interface SandboxResult {
  /** True when `run` resolved and the process exited cleanly. */
  readonly ok: boolean;
  /** Why it failed, phrased for the user (undeclared writes name the path). */
  readonly error?: string;
  /** What the stage printed (tail, at most 64 KiB). */
  readonly log: string;
}

/** The `deno run` arguments that sandbox a stage (exported for docs and tests). */
export function sandboxArgs(writeDir: string, net: readonly string[]): string[] {
  return [
    "run",
    "--no-prompt",
    "--allow-read",
    "--allow-env",
    "--allow-sys",
    `--allow-write=${writeDir}`,
    ...(net.length ? [`--allow-net=${net.join(",")}`] : []),
    CHILD_MAIN,
  ];
}

/** Runs one instance in a sandboxed child process. */
export async function runSandboxed(options: SandboxOptions): Promise<SandboxResult> {
  const cmd = new Deno.Command(Deno.execPath(), {
    args: sandboxArgs(options.writeDir, options.net),
    cwd: options.workspace,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...(options.threads ? { QUARRY_THREADS: String(options.threads) } : {}) },
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const child = cmd.spawn();
  const input = JSON.stringify({ module: toFileUrl(options.module), ctx: options.ctx });
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(input)).catch(() => {});
  await writer.close().catch(() => {});

  let log = "";
  const append = (s: string) => {
    log += s;
    if (log.length > LOG_LIMIT * 2) log = log.slice(-LOG_LIMIT);
  };
  let reported: { name: string; message: string; stack: string } | undefined;
  let done = false;
  const readStdout = (async () => {
    let buf = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith(PREFIX)) {
          const msg = line.slice(PREFIX.length);
          if (msg.startsWith("progress ")) {
            const [d, t] = msg.slice(9).split(" ").map(Number);
            options.onProgress?.(d ?? 0, t ?? 0);
          } else if (msg.startsWith("error ")) {
            reported = JSON.parse(msg.slice(6));
          } else if (msg === "done") {
            done = true;
          }
        } else append(`${line}\n`);
      }
    }
    if (buf) append(buf);
  })();
  const readStderr = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) append(chunk);
  })();
  const status = await child.status;
  await Promise.all([readStdout, readStderr]);
  log = log.slice(-LOG_LIMIT);
  if (status.success && done) return { ok: true, log };
  // Ctrl-C in a terminal reaches the children too; they may die before our abort handler runs.
  if (options.signal?.aborted || status.signal === "SIGINT") {
    return { ok: false, error: "interrupted", log };
  }
  const raw = reported ? `${reported.name}: ${reported.message}` : lastErrorLine(log) ??
    `exited with code ${status.code}${status.signal ? ` (signal ${status.signal})` : ""}`;
  return { ok: false, error: explain(raw + "\n" + log, options, raw), log };
}

function lastErrorLine(log: string): string | undefined {
  const lines = log.split("\n").filter((l) => /error/i.test(l));
  return lines.length ? lines[lines.length - 1]!.trim() : undefined;
}

function explain(text: string, options: SandboxOptions, raw: string): string {
  const write = /Requires write access to "([^"]+)"/.exec(text);
  if (write) {
    const path = write[1]!;
    const rel = relative(options.workspace, path);
    const shown = rel && !rel.startsWith("..") ? rel : path;
    return `Undeclared write to "${shown}": a stage may write only its declared outs (the paths in ctx.outs)`;
  }
  const net = /Requires net access to "([^"]+)"/.exec(text);
  if (net) {
    return `Undeclared network access to "${net[1]}": list the host under the stage's "net" key`;
  }
  const other = /Requires (\w+) access to "?([^",]+)"?/.exec(text);
  if (other) {
    return `Permission denied: ${other[1]} access to "${other[2]}" is not allowed in a stage`;
  }
  return raw;
}
