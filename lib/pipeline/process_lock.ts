/**
 * The workspace process lock: one `repro` at a time per workspace. The lock file holds the
 * holder's PID and command; a lock whose process is gone is taken over.
 *
 * @module
 */
import { dirname } from "node:path";
import { exists } from "./fs_util.ts";

/** Who holds a workspace lock. */
export interface LockHolder {
  readonly pid: number;
  readonly command: string;
  readonly started: string;
}

/** Thrown when another live process holds the lock. */
export class WorkspaceBusyError extends Error {
  /** The holder. */
  readonly holder: LockHolder;
  /** Builds the error naming the holder and how to clear a stale lock. */
  constructor(path: string, holder: LockHolder) {
    super(
      `Workspace is busy: "${path}" is held by process ${holder.pid} (${holder.command}, since ${holder.started}); ` +
        `wait for it, pass --wait, or delete the file if that process is gone`,
    );
    this.name = "WorkspaceBusyError";
    this.holder = holder;
  }
}

/** A held lock; release it when done. */
export interface HeldLock {
  release(): void;
}

function alive(pid: number): boolean {
  if (pid === Deno.pid) return true;
  if (Deno.build.os === "linux") return exists(`/proc/${pid}`);
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch {
    return false;
  }
}

function tryAcquire(path: string, command: string): HeldLock | LockHolder {
  Deno.mkdirSync(dirname(path), { recursive: true });
  const me: LockHolder = { pid: Deno.pid, command, started: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const f = Deno.openSync(path, { write: true, createNew: true });
      f.writeSync(new TextEncoder().encode(JSON.stringify(me)));
      f.close();
      return {
        release() {
          try {
            const cur = JSON.parse(Deno.readTextFileSync(path)) as LockHolder;
            if (cur.pid === Deno.pid) Deno.removeSync(path);
          } catch {
            // already gone
          }
        },
      };
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
    }
    let holder: LockHolder | undefined;
    try {
      holder = JSON.parse(Deno.readTextFileSync(path)) as LockHolder;
    } catch {
      holder = undefined; // being written, or garbage
    }
    if (holder && alive(holder.pid)) return holder;
    if (!holder) {
      // Give a writer a moment; a garbage file older than a second is stale.
      try {
        const age = Date.now() - (Deno.statSync(path).mtime?.getTime() ?? 0);
        if (age < 1000) return { pid: -1, command: "(starting)", started: "" };
      } catch {
        continue;
      }
    }
    try {
      Deno.removeSync(path);
    } catch {
      // someone else removed it
    }
  }
  return { pid: -1, command: "(unknown)", started: "" };
}

/**
 * Acquires the lock at `path`. Without `wait`, throws {@linkcode WorkspaceBusyError} when a live
 * process holds it; with `wait`, polls until it is free.
 */
export async function acquireProcessLock(
  path: string,
  options: { command: string; wait?: boolean; onWait?: (holder: LockHolder) => void },
): Promise<HeldLock> {
  let told = false;
  while (true) {
    const r = tryAcquire(path, options.command);
    if ("release" in r) return r;
    if (!options.wait) throw new WorkspaceBusyError(path, r);
    if (!told) {
      options.onWait?.(r);
      told = true;
    }
    await new Promise((res) => setTimeout(res, 200));
  }
}
