/**
 * Process lifetime of stage children: each child runs in its own process group (spawned through
 * `setsid` where it exists), so that a signal reaches the whole group and a terminal's Ctrl-C
 * reaches only the runner, which then stops the children itself (SIGTERM, then SIGKILL after a
 * grace period). The runner records its live children (PID, process start time, temp folder) in
 * `.quarry/children.json`; a run that starts after a runner died (SIGKILL, power loss) kills the
 * recorded orphans and discards their temp folders before anything else.
 *
 * @module
 */
import { removePath, writeFileAtomic } from "./fs_util.ts";

/** The children record inside a workspace's state folder. */
export const CHILDREN_FILE = "children.json";

/** Seconds between SIGTERM and SIGKILL when stopping a child (`QUARRY_KILL_GRACE` overrides). */
export const DEFAULT_GRACE_SECONDS = 3;

/** One recorded child. */
export interface ChildRecord {
  /** PID (also its process group ID when spawned through `setsid`). */
  readonly pid: number;
  /** Start time from `/proc/<pid>/stat` (clock ticks since boot), to tell a reused PID apart. */
  readonly start: string;
  /** Whether the child leads its own process group. */
  readonly group: boolean;
  /** The instance it runs. */
  readonly instance: string;
  /** Its temporary folder (discarded when it is reaped). */
  readonly dir: string;
  /** The runner that spawned it. */
  readonly runner: number;
}

const SETSID = ["/usr/bin/setsid", "/bin/setsid"];

/** The `setsid` program, or `undefined` where there is none (the child shares our group). */
export function setsidPath(): string | undefined {
  if (Deno.build.os !== "linux") return undefined;
  for (const p of SETSID) {
    try {
      if (Deno.statSync(p).isFile) return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The grace period in milliseconds (`QUARRY_KILL_GRACE` seconds, else the default). */
export function graceMs(): number {
  const raw = Number(Deno.env.get("QUARRY_KILL_GRACE"));
  return (Number.isFinite(raw) && raw >= 0 ? raw : DEFAULT_GRACE_SECONDS) * 1000;
}

/**
 * The start time and state of a process from `/proc/<pid>/stat`, or `undefined` when it is gone
 * (a zombie counts as gone: it runs nothing).
 */
export function processStart(pid: number): string | undefined {
  let stat: string;
  try {
    stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch {
    return undefined;
  }
  // Fields after the parenthesised command: state is the 1st, start time the 20th.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  if (fields[0] === "Z" || fields[0] === "X") return undefined;
  return fields[19];
}

/** Sends a signal to a child's process group (or the child alone); a gone process is fine. */
export function signalChild(pid: number, group: boolean, signal: Deno.Signal): void {
  if (group) {
    try {
      Deno.kill(-pid, signal);
      return;
    } catch {
      // not yet its own group (setsid has not run yet), or gone: try the process itself
    }
  }
  try {
    Deno.kill(pid, signal);
  } catch {
    // gone
  }
}

/** The live children of this runner, persisted so that a later run can reap them. */
export class ChildRegistry {
  #path: string | undefined;
  #live = new Map<number, ChildRecord>();

  /** A registry writing `path` (none: memory only). */
  constructor(path?: string) {
    this.#path = path;
  }

  /** Records a spawned child. */
  add(record: ChildRecord): void {
    this.#live.set(record.pid, record);
    this.#save();
  }

  /** Forgets a child that exited. */
  remove(pid: number): void {
    if (this.#live.delete(pid)) this.#save();
  }

  /** The live children. */
  list(): ChildRecord[] {
    return [...this.#live.values()];
  }

  /** Sends a signal to every live child's group. */
  signalAll(signal: Deno.Signal): void {
    for (const c of this.#live.values()) signalChild(c.pid, c.group, signal);
  }

  #save(): void {
    if (!this.#path) return;
    try {
      if (this.#live.size) writeFileAtomic(this.#path, JSON.stringify(this.list(), null, 1));
      else removePath(this.#path);
    } catch {
      // the record only helps a later run clean up; never fail a stage over it
    }
  }
}

/** Every registry of this process (a hard exit stops their children). */
const registries = new Set<ChildRegistry>();

/** Registers a registry for {@linkcode killAllChildren}; returns the unregister function. */
export function trackRegistry(r: ChildRegistry): () => void {
  registries.add(r);
  return () => registries.delete(r);
}

/** SIGKILLs every live child of this process (before a forced exit). */
export function killAllChildren(): void {
  for (const r of registries) r.signalAll("SIGKILL");
}

/**
 * Kills the children recorded by a runner that is gone and discards their temp folders; removes
 * the record. Returns the PIDs it killed. A PID whose start time differs is another process (the
 * PID was reused) and is left alone.
 */
export async function reapOrphans(path: string): Promise<number[]> {
  let records: ChildRecord[];
  try {
    records = JSON.parse(Deno.readTextFileSync(path));
    if (!Array.isArray(records)) records = [];
  } catch {
    return [];
  }
  // Only children of a runner that is gone are orphans (a live runner keeps its own).
  const valid = records.filter((r) => typeof r?.pid === "number" && typeof r.runner === "number");
  const orphans = valid.filter((r) =>
    r.runner !== Deno.pid && processStart(r.runner) === undefined
  );
  const others = valid.filter((r) => !orphans.includes(r));
  const killed: number[] = [];
  for (const r of orphans) {
    if (processStart(r.pid) !== undefined && processStart(r.pid) === r.start) {
      signalChild(r.pid, r.group, "SIGKILL");
      killed.push(r.pid);
    }
  }
  // Wait (briefly) until they are gone, so they write nothing into what we remove next.
  for (let i = 0; i < 100 && killed.some((p) => processStart(p) !== undefined); i++) {
    await new Promise((res) => setTimeout(res, 20));
  }
  for (const r of orphans) if (typeof r.dir === "string") removePath(r.dir);
  if (others.length) writeFileAtomic(path, JSON.stringify(others, null, 1));
  else removePath(path);
  return killed;
}
