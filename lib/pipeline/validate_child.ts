/**
 * Stage validation in a child process, so that no stage code ever runs in the runner: one
 * `deno run` per run module loads it and calls its `validate` for all its instances, with read
 * access to the workspace and Deno's caches and nothing else — no write, network, subprocess,
 * FFI or system access, an environment cleared to what Deno needs, no module fetching
 * (`--cached-only`) and the project's own `deno.json` and lock, never written (`--frozen`).
 *
 * @module
 */
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import type { ModuleOutcome, ModuleValidator } from "./analyze/validate.ts";
import { denoDir, findProjectConfig } from "./sandbox_args.ts";
import { toFileUrl } from "./url.ts";

const VALIDATE_MAIN = fileURLToPath(new URL("./_validate_main.ts", import.meta.url));
const PREFIX = "\x1equarry:validate ";
/** Variables a validation child may see: what Deno needs to find its caches. */
const ENV_ALLOW = ["HOME", "DENO_DIR", "XDG_CACHE_HOME", "PATH"] as const;
const DEFAULT_TIMEOUT_MS = 120_000;

/** Options for {@linkcode childValidator}. */
export interface ChildValidatorOptions {
  /** Absolute workspace path: the child's cwd and what it may read. */
  readonly workspace: string;
  /** Kill a child that has not answered after this many milliseconds (default 120 s). */
  readonly timeoutMs?: number;
}

/**
 * The `deno run` arguments of a validation child (exported for docs and tests). The config is
 * the module's project's `deno.json` (the nearest above the module, else above the workspace):
 * its imports resolve the module's bare specifiers, as in the run child.
 */
export function validateArgs(workspace: string, module: string): string[] {
  const config = (findProjectConfig(dirname(module)) ?? findProjectConfig(workspace))?.config;
  const cache = denoDir(Deno.env.toObject());
  const read = [
    ...new Set([workspace, config ? dirname(config) : dirname(module), ...(cache ? [cache] : [])]),
  ];
  return [
    "run",
    "--no-prompt",
    "--cached-only",
    "--frozen",
    ...(config ? ["--config", config] : ["--no-config"]),
    // A comma would split the list (and widen it): then read access is not scoped.
    read.some((p) => p.includes(",")) ? "--allow-read" : `--allow-read=${read.join(",")}`,
    "--allow-env",
    VALIDATE_MAIN,
  ];
}

/** A {@linkcode ModuleValidator} that validates each module in a read-only child. */
export function childValidator(options: ChildValidatorOptions): ModuleValidator {
  return (job) => validateInChild(job.module, job.instances, options);
}

async function validateInChild(
  module: string,
  instances: Parameters<ModuleValidator>[0]["instances"],
  options: ChildValidatorOptions,
): Promise<ModuleOutcome> {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const child = new Deno.Command(Deno.execPath(), {
    args: validateArgs(options.workspace, module),
    cwd: options.workspace,
    clearEnv: true,
    env: childEnv(),
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    signal: timeout,
  }).spawn();
  const input = JSON.stringify({
    module: toFileUrl(module),
    instances: instances.map((i) => ({ params: i.params, vars: i.vars })),
  });
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(input)).catch(() => {});
  await writer.close().catch(() => {});
  const out = await child.output().catch(() => undefined);
  const stdout = out ? new TextDecoder().decode(out.stdout) : "";
  const answer = stdout.split("\n").find((l) => l.startsWith(PREFIX));
  if (answer) {
    const outcome = JSON.parse(answer.slice(PREFIX.length)) as ModuleOutcome;
    return outcome.load === "failed" ? { load: "failed", error: explain(outcome.error) } : outcome;
  }
  if (timeout.aborted) {
    return {
      load: "failed",
      error: `no answer within ${
        (options.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000
      } s (loading or validate() hangs)`,
    };
  }
  const stderr = out ? new TextDecoder().decode(out.stderr) : "";
  const line = stderr.split("\n").map((l) => l.trim()).filter((l) => /error/i.test(l)).pop();
  return { load: "failed", error: explain(line ?? `exited with code ${out?.code ?? "?"}`) };
}

/** Rephrases a permission error (Deno's names the flag that would allow it): validation may only read. */
function explain(message: string): string {
  const pkg = /for package "([^"]+)"|npm package "?([^",\s]+)"? .*cache/.exec(message);
  if (pkg) {
    return `package "${
      pkg[1] ?? pkg[2]
    }" is not installed, and validation fetches nothing (--cached-only): add it to deno.json and run deno install`;
  }
  const m = /Requires (\w+) access to "?([^",]+)"?/.exec(message);
  if (!m) return message;
  // Deno's own text ends "run again with the --allow-… flag": not the advice for a stage.
  return `${m[1]} access to "${
    m[2]
  }" is not allowed while a stage module loads or validates (read access only)`;
}

function childEnv(): Record<string, string> {
  const env: Record<string, string> = { NO_COLOR: "1" };
  for (const name of ENV_ALLOW) {
    const v = Deno.env.get(name);
    if (v !== undefined) env[name] = v;
  }
  return env;
}
