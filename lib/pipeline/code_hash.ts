/**
 * The code part of a key: the transitive closure of local modules a run module imports (from
 * `deno info --json`, i.e. Deno's own module graph), their content hashes, the npm packages the
 * graph reaches (name@version) and the Deno version. Results are cached per module and reused
 * while every file they list (and the workspace's deno.json / deno.lock) still hashes the same.
 *
 * @module
 */
import { relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { canonicalJson, type Digest, type HashCache, sha256 } from "./hash.ts";
import { writeFileAtomic } from "./fs_util.ts";
import { findProjectConfig } from "./sandbox_args.ts";

/** The code identity of one run module. */
export interface CodeInfo {
  /** Local module files (workspace-relative, `/`-separated) → SHA-256. */
  readonly files: Readonly<Record<string, Digest>>;
  /** Sorted `name@version` of npm packages (and URLs of remote modules) in the graph. */
  readonly packages: readonly string[];
  /** The Deno version. */
  readonly deno: string;
  /** SHA-256 of the canonical JSON of the above. */
  readonly hash: Digest;
}

interface CachedGraph {
  files: Record<string, Digest>; // absolute path -> hash
  config: Record<string, Digest>;
  packages: string[];
}

/** Computes and caches {@linkcode CodeInfo} for run modules of one workspace. */
export class CodeHasher {
  #workspace: string;
  #hashes: HashCache;
  #statePath: string | undefined;
  #state: Record<string, CachedGraph> = {};
  #memo = new Map<string, Promise<CodeInfo>>();
  #dirty = false;
  #configFiles: string[];

  /** `statePath`: where the per-module graph cache lives (omit to keep it in memory only). */
  constructor(options: { workspace: string; hashes: HashCache; statePath?: string }) {
    this.#workspace = options.workspace;
    this.#hashes = options.hashes;
    this.#statePath = options.statePath;
    if (this.#statePath) {
      try {
        this.#state = JSON.parse(Deno.readTextFileSync(this.#statePath));
      } catch {
        this.#state = {};
      }
    }
    this.#configFiles = findConfigFiles(this.#workspace);
  }

  /** The code info of a run module (workspace-relative or absolute path). */
  info(module: string): Promise<CodeInfo> {
    const abs = resolve(this.#workspace, module);
    let p = this.#memo.get(abs);
    if (!p) {
      p = this.#compute(abs);
      this.#memo.set(abs, p);
    }
    return p;
  }

  async #compute(abs: string): Promise<CodeInfo> {
    const config = this.#configHashes();
    let cached = this.#state[abs];
    if (cached && !this.#stillValid(cached, config)) cached = undefined;
    if (!cached) {
      cached = await this.#denoInfo(abs, config);
      this.#state[abs] = cached;
      this.#dirty = true;
    }
    const files: Record<string, Digest> = {};
    for (const [f, h] of Object.entries(cached.files)) {
      files[relative(this.#workspace, f).replaceAll("\\", "/")] = h;
    }
    const base = { files, packages: cached.packages, deno: Deno.version.deno };
    return { ...base, hash: sha256(canonicalJson(base)) };
  }

  #configHashes(): Record<string, Digest> {
    const out: Record<string, Digest> = {};
    for (const f of this.#configFiles) out[f] = this.#hashes.hashPath(f) ?? "";
    return out;
  }

  #stillValid(c: CachedGraph, config: Record<string, Digest>): boolean {
    if (canonicalJson(c.config) !== canonicalJson(config)) return false;
    for (const [f, h] of Object.entries(c.files)) {
      if (this.#hashes.hashPath(f) !== h) return false;
    }
    return true;
  }

  async #denoInfo(abs: string, config: Record<string, Digest>): Promise<CachedGraph> {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", abs],
      cwd: this.#workspace,
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
      env: { NO_COLOR: "1" },
    }).output();
    if (!out.success) {
      const msg = new TextDecoder().decode(out.stderr).trim();
      throw new Error(`Cannot read the module graph of "${abs}": ${msg.split("\n")[0]}`);
    }
    const info = JSON.parse(new TextDecoder().decode(out.stdout)) as DenoInfo;
    const files: Record<string, Digest> = {};
    const packages = new Set<string>();
    const npmRoots: string[] = [];
    for (const m of info.modules ?? []) {
      if (m.error) throw new Error(`Cannot resolve a module imported by "${abs}": ${m.error}`);
      if (m.kind === "npm" && m.npmPackage) {
        npmRoots.push(m.npmPackage);
        continue;
      }
      const spec = m.specifier ?? "";
      if (spec.startsWith("file://")) {
        const path = m.local ?? fileURLToPath(spec);
        if (path.includes("/node_modules/")) continue;
        files[path] = this.#hashes.hashFile(path);
      } else if (spec.startsWith("http://") || spec.startsWith("https://")) {
        packages.add(spec);
      }
    }
    // Only the npm packages this module reaches (deno info lists every package of the lock).
    const npm = info.npmPackages ?? {};
    const seen = new Set<string>();
    const stack = [...npmRoots];
    while (stack.length) {
      const id = stack.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      const pkg = npm[id];
      packages.add(pkg ? `npm:${pkg.name}@${pkg.version}` : `npm:${id}`);
      stack.push(...(pkg?.dependencies ?? []));
    }
    return { files, config, packages: [...packages].sort() };
  }

  /** Saves the per-module graph cache when it changed. */
  save(): void {
    if (this.#statePath && this.#dirty) {
      writeFileAtomic(this.#statePath, JSON.stringify(this.#state));
      this.#dirty = false;
    }
  }
}

interface DenoInfo {
  modules?: {
    kind?: string;
    specifier?: string;
    local?: string;
    error?: string;
    npmPackage?: string;
  }[];
  npmPackages?: Record<string, { name: string; version: string; dependencies?: string[] }>;
}

// The deno.json(c) governing a folder and its lock, as the sandbox finds them for the child.
function findConfigFiles(start: string): string[] {
  const found = findProjectConfig(start);
  return found ? [found.config, ...(found.lock ? [found.lock] : [])] : [];
}
