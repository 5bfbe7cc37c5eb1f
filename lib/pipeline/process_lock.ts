/**
 * The workspace process lock: one `repro` at a time per workspace. The lock file holds the
 * holder's PID and command, and the holder keeps an OS lock (`flock`) on it; the kernel drops that
 * lock when the holder dies, so a lock whose process is gone is taken over atomically.
 *
 * @module
 */
import { dirname } from "node:path";

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
  /** The holder recorded in the file when we took it over from a process that is gone. */
  readonly previous?: LockHolder;
  release(): void;
}

function readHolder(path: string): LockHolder | undefined {
  try {
    const h = JSON.parse(Deno.readTextFileSync(path)) as LockHolder;
    return typeof h?.pid === "number" ? h : undefined;
  } catch {
    return undefined; // being written, or garbage
  }
}

function sameFile(a: Deno.FileInfo, b: Deno.FileInfo): boolean {
  return a.ino === b.ino && a.dev === b.dev;
}

/**
 * One attempt. The file is held by an OS lock (`flock`), which the kernel drops when its holder
 * dies, so a stale lock is simply free: taking it over is the same atomic step as taking a free
 * one, and two racers can never both hold it. The holder removes the file while still holding
 * the lock; a racer that locked a file already removed sees another inode at the path and retries.
 */
function tryAcquire(path: string, command: string): HeldLock | LockHolder {
  Deno.mkdirSync(dirname(path), { recursive: true });
  const me: LockHolder = { pid: Deno.pid, command, started: new Date().toISOString() };
  for (let attempt = 0; attempt < 20; attempt++) {
    const file = Deno.openSync(path, { read: true, write: true, create: true });
    let locked: boolean;
    try {
      locked = file.tryLockSync(true);
    } catch (e) {
      file.close();
      throw e;
    }
    if (!locked) {
      file.close();
      return readHolder(path) ?? { pid: -1, command: "(starting)", started: "" };
    }
    let current: Deno.FileInfo | undefined;
    try {
      current = Deno.statSync(path);
    } catch {
      current = undefined; // released and removed between our open and our lock
    }
    if (!current || !sameFile(current, file.statSync())) {
      file.close();
      continue;
    }
    const previous = readHolder(path);
    file.truncateSync(0);
    file.seekSync(0, Deno.SeekMode.Start);
    const bytes = new TextEncoder().encode(JSON.stringify(me));
    for (let off = 0; off < bytes.length;) off += file.writeSync(bytes.subarray(off));
    return {
      ...(previous ? { previous } : {}),
      release() {
        try {
          if (sameFile(Deno.statSync(path), file.statSync())) Deno.removeSync(path);
        } catch {
          // already gone
        }
        file.close(); // drops the OS lock
      },
    };
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
