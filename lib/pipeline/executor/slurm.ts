/**
 * `--executor slurm`: every ready instance becomes one `sbatch` job (job name = the run id, shared
 * by all jobs of the run; comment = the instance name) that runs the same sandboxed child on a
 * compute node (`slurm_job.ts`). The job writes its result record (outcome and log) atomically as
 * its last act, into `.quarry/slurm/<run id>/` beside the workspace's temporary outs, which must
 * be on a file system the login node and the nodes share; that record is the commit point, so
 * success never hangs on accounting or on NFS timing. State comes from one `squeue --name=<run
 * id>` per poll round (never `sacct`: clusters without accounting work); a job gone from the queue
 * whose record has not appeared within `latencyWait` seconds failed (the tail of its Slurm output
 * is the error). `sbatch` errors that say the controller is busy are retried with backoff;
 * aborting (Ctrl-C) runs `scancel --name=<run id>`.
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import { safeName, writeFileAtomic } from "../fs_util.ts";
import type { SandboxOptions, SandboxResult } from "../sandbox.ts";

/** Per-stage resources (`resources:` in pipeline.yaml). */
export interface Resources {
  /** `--cpus-per-task`. */
  readonly cpus?: number;
  /** `--mem`, e.g. `4G`, `500M`. */
  readonly mem?: string;
  /** `--time`, e.g. `30` (minutes), `1:00:00`, `1-00:00:00`. */
  readonly time?: string;
}

/** How to submit. */
export interface SlurmOptions {
  /** Shared folder for job specs, result records and Slurm output (one per run). */
  readonly jobDir: string;
  /** The run id: every job's name, what `squeue`/`scancel --name` select. */
  readonly runId: string;
  /** `--partition`. */
  readonly partition?: string;
  /** `--account`. */
  readonly account?: string;
  /** Extra `sbatch` arguments, passed as they are. */
  readonly extraArgs?: readonly string[];
  /** Resources by stage name. */
  readonly resources?: ReadonlyMap<string, Resources>;
  /** Longest pause between two `squeue` rounds, seconds (default 5). */
  readonly pollSeconds?: number;
  /** How long a finished job's result record may take to appear, seconds (default 60). */
  readonly latencyWait?: number;
  /** `sbatch` attempts on "busy" errors (default 6, backoff 1, 2, 4... s). */
  readonly submitAttempts?: number;
  /** Receives warnings. */
  readonly log?: (line: string) => void;
  /**
   * Group instances that become ready together into jobs of about this many seconds of expected
   * cost (`--group-seconds`; sites want jobs of minutes); 0 or absent: one job per instance.
   */
  readonly groupSeconds?: number;
  /** Expected seconds per instance (recorded durations); instances without one are not grouped. */
  readonly costs?: ReadonlyMap<string, number>;
}

/** A result record, as the job writes it. */
export interface JobRecord extends SandboxResult {
  /** `SLURM_JOB_ID` on the node. */
  readonly jobId?: string;
  /** The node's host name. */
  readonly host?: string;
  /** When the login node submitted the job and when the node started this instance (ms). */
  readonly submittedAt?: number;
  readonly startedAt?: number;
}

const JOB_MAIN = fileURLToPath(new URL("./slurm_job.ts", import.meta.url));
const BUSY = /busy|try again|temporarily unabl|Socket timed out|Unable to contact|timed out/i;

/** Whether an `sbatch` error is worth retrying (controller busy or unreachable). */
export function isRetryable(message: string): boolean {
  return BUSY.test(message);
}
const MEM = /^\d+[KMGT]?$/;
const TIME = /^(\d+-)?\d+(:\d{1,2}){0,2}$/;

/** Checks one stage's `resources:` value; returns it, or throws `RangeError` naming the field. */
export function parseResources(value: unknown, where: string): Resources {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new RangeError(`${where}: expected a mapping with cpus, mem, time`);
  }
  const out: { cpus?: number; mem?: string; time?: string } = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === "cpus") {
      if (!Number.isInteger(v) || (v as number) < 1) {
        throw new RangeError(
          `${where}.cpus: expected a positive integer, got ${JSON.stringify(v)}`,
        );
      }
      out.cpus = v as number;
    } else if (k === "mem" || k === "time") {
      const s = String(v);
      if (!(k === "mem" ? MEM : TIME).test(s)) {
        throw new RangeError(
          `${where}.${k}: expected ${
            k === "mem" ? "a size like 4G or 500M" : "minutes or [D-]HH:MM:SS"
          }, got ${JSON.stringify(v)}`,
        );
      }
      out[k] = s;
    } else throw new RangeError(`${where}: unknown key "${k}": expected cpus, mem or time`);
  }
  return out;
}

/** The `resources:` of every stage of a pipeline file (stages without it are absent). */
export function readStageResources(pipelineFile: string): Map<string, Resources> {
  const doc = parseYaml(Deno.readTextFileSync(pipelineFile)) as {
    stages?: Record<string, { resources?: unknown } | null>;
  } | null;
  const out = new Map<string, Resources>();
  for (const [name, stage] of Object.entries(doc?.stages ?? {})) {
    if (stage?.resources === undefined) continue;
    out.set(name, parseResources(stage.resources, `${pipelineFile}: stages.${name}.resources`));
  }
  return out;
}

/** The `sbatch` arguments for one job (exported for tests and docs). */
export function sbatchArgs(
  o: SlurmOptions,
  job: { name: string; stage: string; output: string; chdir: string; command: string },
): string[] {
  const r = o.resources?.get(job.stage) ?? {};
  return [
    "--parsable",
    `--job-name=${o.runId}`,
    `--comment=${job.name}`,
    `--output=${job.output}`,
    `--chdir=${job.chdir}`,
    ...(r.cpus ? [`--cpus-per-task=${r.cpus}`] : []),
    ...(r.mem ? [`--mem=${r.mem}`] : []),
    ...(r.time ? [`--time=${r.time}`] : []),
    ...(o.partition ? [`--partition=${o.partition}`] : []),
    ...(o.account ? [`--account=${o.account}`] : []),
    ...(o.extraArgs ?? []),
    `--wrap=${job.command}`,
  ];
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

async function command(cmd: string, args: string[]) {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  } catch (e) {
    return { code: 127, stdout: "", stderr: `${cmd}: ${(e as Error).message}` };
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Pending {
  readonly jobId: string;
  readonly name: string;
  readonly record: string;
  readonly output: string;
  goneAt?: number;
  readonly resolve: (r: JobRecord) => void;
}

/** One instance waiting to be submitted. */
interface Item {
  readonly options: SandboxOptions;
  readonly stage: string;
  readonly record: string;
  readonly resolve: (r: JobRecord) => void;
}

/**
 * Groups items (arrival order) into jobs of at most `seconds` of expected cost, one stage per
 * job (its resources apply); an item of unknown or larger cost gets a job of its own.
 */
export function groupItems<T extends { stage: string; name: string }>(
  items: readonly T[],
  seconds: number,
  costs: ReadonlyMap<string, number>,
): T[][] {
  const groups: T[][] = [];
  const open = new Map<string, { items: T[]; cost: number }>();
  for (const it of items) {
    const c = costs.get(it.name);
    if (c === undefined || c >= seconds) {
      groups.push([it]);
      continue;
    }
    const g = open.get(it.stage);
    if (g && g.cost + c <= seconds) {
      g.items.push(it);
      g.cost += c;
    } else {
      const fresh = { items: [it], cost: c };
      groups.push(fresh.items);
      open.set(it.stage, fresh);
    }
  }
  return groups;
}

/** Submits instances as Slurm jobs and tracks them with one `squeue` per round. */
export class SlurmExecutor {
  readonly #o: SlurmOptions;
  readonly #pending = new Map<string, Pending>();
  #buffer: Item[] = [];
  #polling = false;
  #cancelled = false;
  /** Job ids by instance name, of every job this executor submitted. */
  readonly submitted = new Map<string, string>();

  /** An executor for one run. */
  constructor(options: SlurmOptions) {
    this.#o = options;
    Deno.mkdirSync(options.jobDir, { recursive: true });
  }

  /** Runs one instance as a job: the drop-in for `runSandboxed`. */
  run = (options: SandboxOptions, stage = options.ctx.name.split("@")[0]!): Promise<JobRecord> => {
    if (this.#cancelled || options.signal?.aborted) return Promise.resolve(interrupted());
    options.signal?.addEventListener("abort", () => this.cancelAll(), { once: true });
    const record = join(this.#o.jobDir, `${safeName(options.ctx.name)}.result.json`);
    try {
      Deno.removeSync(record);
    } catch { /* none yet */ }
    return new Promise<JobRecord>((resolve) => {
      // Instances that become ready together are grouped (--group-seconds): collect briefly.
      if (this.#buffer.push({ options, stage, record, resolve }) === 1) {
        setTimeout(() => this.#flush(), this.#o.groupSeconds ? 300 : 0);
      }
    });
  };

  #flush(): void {
    const items = this.#buffer;
    this.#buffer = [];
    const named = items.map((it) => ({ ...it, name: it.options.ctx.name }));
    const groups = this.#o.groupSeconds
      ? groupItems(named, this.#o.groupSeconds, this.#o.costs ?? new Map())
      : named.map((it) => [it]);
    for (const g of groups) {
      // Nobody awaits a submission: a throw (job folder not writable) must end its runs, not
      // reach the event loop as an unhandled rejection.
      this.#submitGroup(g).catch((e) => {
        const error = `could not submit a Slurm job: ${(e as Error).message}`;
        for (const it of g) it.resolve({ ok: false, error, log: "", measures: {} });
      });
    }
  }

  async #submitGroup(items: readonly (Item & { name: string })[]): Promise<void> {
    const first = items[0]!;
    const base = safeName(first.name) + (items.length > 1 ? `+${items.length - 1}` : "");
    const spec = join(this.#o.jobDir, `${base}.spec.json`);
    const output = join(this.#o.jobDir, `${base}.slurm.out`);
    const jobs = items.map((it) => {
      // Functions and the runner's child registry stay here; the node's runner keeps its own.
      const { signal: _s, onProgress: _p, registry: _r, ...plain } = it.options;
      return { options: plain, record: it.record };
    });
    // Wall-clock times only reach the result record (for `bench scale`), never a result.
    writeFileAtomic(spec, JSON.stringify({ jobs, submittedAt: Date.now() }));
    const cmd = [Deno.execPath(), "run", "-A", JOB_MAIN, spec].map(shellQuote).join(" ");
    const args = sbatchArgs(this.#o, {
      name: items.map((it) => it.name).join(","),
      stage: first.stage,
      output,
      chdir: first.options.workspace,
      command: `exec ${cmd}`,
    });
    const submitted = await this.#submit(args);
    if (typeof submitted !== "string" || this.#cancelled) {
      // Ctrl-C came while sbatch ran: this job missed the scancel.
      if (typeof submitted === "string") await command("scancel", [submitted]);
      for (const it of items) it.resolve(typeof submitted === "string" ? interrupted() : submitted);
      return;
    }
    for (const it of items) {
      this.submitted.set(it.name, submitted);
      this.#pending.set(it.record, {
        jobId: submitted,
        name: it.name,
        record: it.record,
        output,
        resolve: it.resolve,
      });
    }
    this.#poll();
  }

  async #submit(args: string[]): Promise<string | JobRecord> {
    const attempts = this.#o.submitAttempts ?? 6;
    for (let k = 1;; k++) {
      const r = await command("sbatch", args);
      const id = /^(\d+)/.exec(r.stdout.trim())?.[1];
      if (r.code === 0 && id) return id;
      const why = (r.stderr || r.stdout).trim();
      if (k >= attempts || !isRetryable(why)) {
        return { ok: false, error: `sbatch failed (attempt ${k}): ${why}`, log: "", measures: {} };
      }
      this.#o.log?.(`sbatch busy (attempt ${k} of ${attempts}), retrying: ${why}`);
      await sleep(1000 * 2 ** (k - 1));
    }
  }

  async #poll(): Promise<void> {
    if (this.#polling) return;
    this.#polling = true;
    let interval = 200;
    const max = (this.#o.pollSeconds ?? 5) * 1000;
    while (this.#pending.size) {
      await sleep(interval);
      const before = this.#pending.size;
      await this.#round();
      interval = this.#pending.size < before ? 200 : Math.min(interval * 1.5, max);
    }
    this.#polling = false;
  }

  async #round(): Promise<void> {
    const q = await command("squeue", ["-h", `--name=${this.#o.runId}`, "-o", "%i"]);
    if (q.code !== 0) {
      this.#o.log?.(`squeue failed, retrying: ${q.stderr.trim()}`);
      return;
    }
    const queued = new Set(q.stdout.split("\n").map((l) => l.trim()).filter(Boolean));
    for (const p of [...this.#pending.values()]) {
      const rec = readRecord(p.record);
      if (rec) {
        this.#pending.delete(p.record);
        p.resolve(rec);
      } else if (this.#cancelled) {
        this.#pending.delete(p.record);
        p.resolve(interrupted());
      } else if (!queued.has(p.jobId)) {
        p.goneAt ??= performance.now();
        if (performance.now() - p.goneAt > (this.#o.latencyWait ?? 60) * 1000) {
          this.#pending.delete(p.record);
          const tail = readTail(p.output);
          p.resolve({
            ok: false,
            error: `Slurm job ${p.jobId} ended without a result record` +
              (tail ? `: ${tail.trim().split("\n").pop()}` : ` (no output in ${p.output})`),
            log: tail,
            measures: {},
          });
        }
      }
    }
  }

  /** Cancels every job of the run (`scancel --name=<run id>`); pending runs end interrupted. */
  async cancelAll(): Promise<void> {
    if (this.#cancelled) return;
    this.#cancelled = true;
    if (this.submitted.size) await command("scancel", [`--name=${this.#o.runId}`]);
    for (const p of this.#pending.values()) p.resolve(interrupted());
    this.#pending.clear();
  }
}

function interrupted(): JobRecord {
  return { ok: false, error: "interrupted", log: "", measures: {} };
}

function readRecord(path: string): JobRecord | undefined {
  try {
    return JSON.parse(Deno.readTextFileSync(path)) as JobRecord;
  } catch {
    return undefined;
  }
}

function readTail(path: string): string {
  try {
    return Deno.readTextFileSync(path).slice(-8192);
  } catch {
    return "";
  }
}
