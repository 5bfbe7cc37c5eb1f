/**
 * What a stage child may see and do, as `deno run` flags and an environment (pure functions, so
 * the rules can be read and tested apart from spawning):
 *
 * - environment cleared to an allow-list ({@linkcode BASE_ENV}) plus the stage's `env:` names;
 * - no module fetching and no writes of the lock or `node_modules`: `--cached-only --no-remote`,
 *   the project's own `deno.json` named explicitly, `--frozen` against its lock,
 *   `--node-modules-dir=manual` (a workspace without a `deno.json` gets `--no-config --no-npm`:
 *   nothing would pin an npm version);
 * - reads scoped to the workspace, the runner's code, Deno's cache and the data folder;
 * - writes only to the instance's temp folder; network only to the declared hosts.
 *
 * Deno's permission lists are comma-separated with no escape, so a path holding a comma is
 * refused ({@linkcode CommaPathError}) rather than split into two grants.
 *
 * @module
 */
import { dirname, isAbsolute, join, resolve } from "node:path";

/** Variables a child keeps from the runner's environment (when set), beside the stage's own. */
export const BASE_ENV: readonly string[] = [
  "HOME",
  "PATH",
  "TMPDIR",
  "LANG",
  "LC_ALL",
  "TZ",
  "DENO_DIR",
  "XDG_CACHE_HOME",
  "QUARRY_DATA",
];

/** Thrown for a path that a Deno permission list cannot hold. */
export class CommaPathError extends Error {
  /** Builds the error naming the path and what to do. */
  constructor(what: string, path: string) {
    super(
      `The ${what} "${path}" contains a comma, which Deno's permission flags (comma-separated ` +
        `lists, no escape) cannot express: rename or move it to a path without a comma`,
    );
    this.name = "CommaPathError";
  }
}

/**
 * The child's environment: the allow-listed variables that are set, the stage's `env:` names,
 * and fixed values (`NO_COLOR`, no update check).
 *
 * @example Usage
 * ```ts
 * import { childEnv } from "./sandbox_args.ts";
 * const env = childEnv(["API_URL"], { HOME: "/h", SECRET: "x", API_URL: "u" });
 * if ("SECRET" in env || env.API_URL !== "u" || env.HOME !== "/h") throw new Error("bad env");
 * ```
 */
export function childEnv(
  extra: readonly string[],
  source: Readonly<Record<string, string>>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of [...BASE_ENV, ...extra]) {
    const v = source[name];
    if (v !== undefined) env[name] = v;
  }
  env.NO_COLOR = "1";
  env.DENO_NO_UPDATE_CHECK = "1";
  return env;
}

/**
 * Deno's cache folder for an environment, as Deno finds it: `$DENO_DIR`, else the OS cache folder
 * (macOS: `~/Library/Caches`, which ignores `$XDG_CACHE_HOME`; elsewhere `$XDG_CACHE_HOME`, else
 * `~/.cache`) plus `deno`.
 */
export function denoDir(env: Readonly<Record<string, string>>): string | undefined {
  if (env.DENO_DIR) return resolve(env.DENO_DIR);
  if (Deno.build.os === "darwin") {
    return env.HOME ? join(env.HOME, "Library/Caches/deno") : undefined;
  }
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, "deno");
  return env.HOME ? join(env.HOME, ".cache/deno") : undefined;
}

/** The project configuration a child uses: `deno.json(c)` and its lock, found as Deno would. */
export interface ProjectConfig {
  /** Absolute path of `deno.json` or `deno.jsonc`. */
  readonly config: string;
  /** Absolute path of `deno.lock` beside it, when it exists. */
  readonly lock?: string;
  /** Whether the project keeps a `node_modules` folder (`nodeModulesDir`). */
  readonly nodeModules: boolean;
}

/** Finds the `deno.json(c)` governing a folder (it or the nearest parent), or `undefined`. */
export function findProjectConfig(folder: string): ProjectConfig | undefined {
  for (let dir = resolve(folder);; dir = dirname(dir)) {
    for (const name of ["deno.json", "deno.jsonc"]) {
      const config = join(dir, name);
      let text: string;
      try {
        text = Deno.readTextFileSync(config);
      } catch {
        continue;
      }
      const lock = join(dir, "deno.lock");
      let nodeModules = false;
      try {
        const v = (JSON.parse(text) as { nodeModulesDir?: unknown }).nodeModulesDir;
        nodeModules = v === true || v === "auto" || v === "manual";
      } catch {
        // a deno.jsonc with comments: Deno reads it; assume the default (no node_modules)
      }
      return { config, ...(exists(lock) ? { lock } : {}), nodeModules };
    }
    if (dirname(dir) === dir) return undefined;
  }
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** What the flags are built from. */
export interface ChildPermissions {
  /** The child's main module (the harness). */
  readonly main: string;
  /** The only folder the child may write. */
  readonly writeDir: string;
  /** Folders and files the child may read. */
  readonly read: readonly string[];
  /** Hosts it may reach (empty: none). */
  readonly net: readonly string[];
  /** The project configuration, or none. */
  readonly project?: ProjectConfig;
}

/**
 * The `deno run` arguments of a stage child. Throws {@linkcode CommaPathError} for a path with a
 * comma.
 */
export function childArgs(p: ChildPermissions): string[] {
  for (const r of p.read) if (r.includes(",")) throw new CommaPathError("readable path", r);
  if (p.writeDir.includes(",")) throw new CommaPathError("temporary folder", p.writeDir);
  const module = p.project
    ? [
      `--config=${p.project.config}`,
      ...(p.project.lock ? ["--frozen", `--lock=${p.project.lock}`] : ["--no-lock"]),
      ...(p.project.nodeModules ? ["--node-modules-dir=manual"] : []),
    ]
    : ["--no-config", "--no-lock", "--no-npm"];
  return [
    "run",
    "--no-prompt",
    "--cached-only",
    "--no-remote",
    ...module,
    `--allow-read=${[...new Set(p.read)].join(",")}`,
    "--allow-env",
    "--allow-sys",
    `--allow-write=${p.writeDir}`,
    ...(p.net.length ? [`--allow-net=${p.net.join(",")}`] : []),
    p.main,
  ];
}

/**
 * The folders a child may read: the workspace, the runner's own code, Deno's cache, the data
 * folder (`$QUARRY_DATA`, else the `data.dir` param resolved against the workspace).
 */
export function readScope(options: {
  readonly workspace: string;
  readonly runnerRoot: string;
  readonly env: Readonly<Record<string, string>>;
  readonly dataDirParam?: unknown;
}): string[] {
  const out = [options.workspace, options.runnerRoot];
  const cache = denoDir(options.env);
  if (cache) out.push(cache);
  const data = options.env.QUARRY_DATA;
  if (data) out.push(resolve(options.workspace, data));
  const param = options.dataDirParam;
  if (typeof param === "string" && param !== "") {
    out.push(isAbsolute(param) ? param : resolve(options.workspace, param));
  }
  return [...new Set(out)];
}
