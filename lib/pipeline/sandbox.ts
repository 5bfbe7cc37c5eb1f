/**
 * Runs one stage instance in its own `deno run` process, in its own process group, with a
 * cleared environment, no module fetching, reads scoped to what a stage needs, writes only to
 * its temporary out folder and network only to the hosts the stage declares (flags:
 * `sandbox_args.ts`). Aborting or a timeout sends SIGTERM to the group, then SIGKILL after a
 * grace period.
 *
 * @module
 */
import { dirname, relative } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type ChildRecord,
  type ChildRegistry,
  graceMs,
  processStart,
  setsidPath,
  signalChild,
} from "./children.ts";
import { childArgs, childEnv, findProjectConfig, readScope } from "./sandbox_args.ts";
import type { ParamValue } from "./stage_context.ts";
import { toFileUrl } from "./url.ts";

const CHILD_MAIN = fileURLToPath(new URL("./_child_main.ts", import.meta.url));
/** The runner's own checkout (children may read its code). */
const RUNNER_ROOT = dirname(dirname(dirname(CHILD_MAIN)));
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
  /** Environment variable names the child may see beside the fixed allow-list. */
  readonly env?: readonly string[];
  /** Kill and fail the child after this many seconds (none: no limit). */
  readonly timeout?: number;
  /** The context passed to `run`. */
  readonly ctx: ChildContext;
  /** Aborting kills the child. */
  readonly signal?: AbortSignal;
  /** Where the child is recorded while it lives (for orphan reaping). */
  readonly registry?: ChildRegistry;
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
  /** What the stage measured about its run (`ctx.measure`), for the timing record. */
  readonly measures: Readonly<Record<string, number>>;
}

/**
 * The `deno run` arguments that sandbox a stage in a workspace (exported for docs and tests). The
 * project configuration is the one governing the run module (as Deno would find it from there),
 * and its folder (with its `node_modules`) is readable.
 */
export function sandboxArgs(
  workspace: string,
  module: string,
  writeDir: string,
  net: readonly string[],
  params: Readonly<Record<string, ParamValue>> = {},
): string[] {
  const project = findProjectConfig(dirname(module));
  const read = readScope({
    workspace,
    runnerRoot: RUNNER_ROOT,
    env: Deno.env.toObject(),
    dataDirParam: params["data.dir"],
  });
  if (project) read.push(dirname(project.config));
  return childArgs({ main: CHILD_MAIN, writeDir, net, read, ...(project ? { project } : {}) });
}

/** Runs one instance in a sandboxed child process. */
export async function runSandboxed(options: SandboxOptions): Promise<SandboxResult> {
  let args: string[];
  try {
    args = sandboxArgs(
      options.workspace,
      options.module,
      options.writeDir,
      options.net,
      options.ctx.params,
    );
  } catch (e) {
    return { ok: false, error: (e as Error).message, log: "", measures: {} };
  }
  const setsid = setsidPath();
  const child = new Deno.Command(setsid ?? Deno.execPath(), {
    args: setsid ? [Deno.execPath(), ...args] : args,
    cwd: options.workspace,
    clearEnv: true,
    env: {
      ...childEnv(options.env ?? [], Deno.env.toObject()),
      ...(options.threads ? { QUARRY_THREADS: String(options.threads) } : {}),
    },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const record: ChildRecord = {
    pid: child.pid,
    start: processStart(child.pid) ?? "",
    group: setsid !== undefined,
    instance: options.ctx.name,
    dir: options.writeDir,
    runner: Deno.pid,
  };
  options.registry?.add(record);
  const stopper = stopOnAbortOrTimeout(record, options);
  try {
    return await talk(child, options, stopper);
  } finally {
    stopper.dispose();
    options.registry?.remove(child.pid);
  }
}

interface Stopper {
  /** Why the child was stopped (`interrupted`, or the timeout message). */
  readonly reason: () => string | undefined;
  readonly dispose: () => void;
}

/** SIGTERM to the group on abort or timeout, SIGKILL after the grace period. */
function stopOnAbortOrTimeout(record: ChildRecord, options: SandboxOptions): Stopper {
  let reason: string | undefined;
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  const stop = (why: string) => {
    if (reason !== undefined) return;
    reason = why;
    signalChild(record.pid, record.group, "SIGTERM");
    killTimer = setTimeout(() => signalChild(record.pid, record.group, "SIGKILL"), graceMs());
  };
  const onAbort = () => stop("interrupted");
  options.signal?.addEventListener("abort", onAbort);
  if (options.signal?.aborted) onAbort();
  const limit = options.timeout;
  const timeTimer = limit !== undefined && limit > 0
    ? setTimeout(
      () =>
        stop(
          `Timed out after ${limit} s: the instance was killed (raise the stage's "timeout:" ` +
            `in the pipeline file, or --timeout)`,
        ),
      limit * 1000,
    )
    : undefined;
  return {
    reason: () => reason,
    dispose: () => {
      options.signal?.removeEventListener("abort", onAbort);
      if (timeTimer !== undefined) clearTimeout(timeTimer);
      if (killTimer !== undefined) clearTimeout(killTimer);
    },
  };
}

/** Sends the input, reads the protocol and the log, and turns the exit into a result. */
async function talk(
  child: Deno.ChildProcess,
  options: SandboxOptions,
  stopper: Stopper,
): Promise<SandboxResult> {
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
  const measures: Record<string, number> = {};
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
          } else if (msg.startsWith("measure ")) {
            const m = parseMeasure(msg.slice(8));
            if (m) measures[m[0]] = m[1];
          } else if (msg.startsWith("error ")) {
            reported = parseReported(msg.slice(6));
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
  const stopped = stopper.reason();
  if (status.success && done && stopped === undefined) return { ok: true, log, measures };
  // Ctrl-C in a terminal reaches the children too; they may die before our abort handler runs.
  if (stopped === "interrupted" || options.signal?.aborted || status.signal === "SIGINT") {
    return { ok: false, error: "interrupted", log, measures };
  }
  if (stopped !== undefined) return { ok: false, error: stopped, log, measures };
  const raw = reported ? `${reported.name}: ${reported.message}` : lastErrorLine(log) ??
    `exited with code ${status.code}${status.signal ? ` (signal ${status.signal})` : ""}`;
  return { ok: false, error: explain(raw + "\n" + log, options, raw), log, measures };
}

function parseReported(text: string): { name: string; message: string; stack: string } {
  try {
    return JSON.parse(text);
  } catch {
    return { name: "Error", message: text, stack: "" };
  }
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

function parseMeasure(text: string): [string, number] | undefined {
  try {
    const v = JSON.parse(text);
    if (Array.isArray(v) && typeof v[0] === "string" && Number.isFinite(v[1])) return [v[0], v[1]];
  } catch {
    // a garbled line is dropped: measurements are hints
  }
  return undefined;
}
