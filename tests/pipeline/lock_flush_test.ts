import assert from "node:assert/strict";
import { join } from "node:path";
import { cleanup, copyFixture } from "./_helpers.ts";
import { analyzePipeline, type Graph, openWorkspace, reproduce } from "../../lib/pipeline/mod.ts";
import { readLockFile, writeLockFile } from "../../lib/pipeline/lock_file.ts";
import { readTimings, timingPath } from "../../lib/pipeline/timing.ts";

/** Runs `body` on a fresh copy of the `parallel` fixture: its graph and lock path. */
async function onParallel(body: (graph: Graph, lockPath: string, dir: string) => Promise<void>) {
  const dir = copyFixture("parallel");
  try {
    const analysis = await analyzePipeline(join(dir, "pipeline.yaml"));
    assert.ok(analysis.ok);
    await body(analysis.graph, join(dir, "pipeline.lock"), dir);
  } finally {
    cleanup(dir);
  }
}

/** The names of a profile's entries in the lock at `lockPath`, sorted. */
const entryNames = (lockPath: string, profile: string) =>
  Object.keys(readLockFile(lockPath).profiles[profile] ?? {}).sort();

Deno.test("a finished instance is in pipeline.lock and the timing record while the rest still runs", async () => {
  await onParallel(async (graph, lockPath, dir) => {
    const seen: Record<string, string[]> = {};
    const timed: Record<string, string[]> = {};
    const timingFile = timingPath(join(dir, ".quarry"), graph.profile);
    await reproduce(graph, openWorkspace(graph), {
      jobs: 1,
      onEvent: (ev) => {
        if (ev.type !== "start") return;
        let names: string[] = [];
        try {
          names = Object.keys(readLockFile(lockPath).profiles[graph.profile] ?? {});
        } catch {
          // no lock yet
        }
        seen[ev.name] = names.sort();
        try {
          timed[ev.name] = Object.keys(readTimings(timingFile).instances).sort();
        } catch {
          timed[ev.name] = [];
        }
      },
    });
    assert.deepEqual(seen["slow@a"], []);
    assert.deepEqual(seen["slow@b"], ["slow@a"], "slow@a was written when it finished");
    assert.deepEqual(timed["slow@b"], ["slow@a"], "and its duration recorded");
    assert.deepEqual(entryNames(lockPath, graph.profile), ["join", "slow@a", "slow@b"]);
  });
});

Deno.test("a lock that cannot be written mid-run fails no instance; the run warns and goes on", async () => {
  await onParallel(async (graph, lockPath) => {
    const warnings: string[] = [];
    const result = await reproduce(graph, openWorkspace(graph), {
      jobs: 1,
      onEvent: (ev) => {
        // A merge conflict left in the lock while the run goes on, resolved before it ends.
        if (ev.type === "start" && ev.name === "slow@a") {
          Deno.writeTextFileSync(lockPath, "<<<<<<< HEAD\n");
        }
        if (ev.type === "start" && ev.name === "join") Deno.removeSync(lockPath);
        if (ev.type === "warning") warnings.push(ev.message);
      },
    });
    assert.deepEqual(result.ran, ["slow@a", "slow@b", "join"]);
    assert.equal(result.failed.length, 0);
    assert.ok(warnings.some((w) => /could not write pipeline\.lock now/.test(w)), warnings.join());
    assert.deepEqual(entryNames(lockPath, graph.profile), ["join", "slow@a", "slow@b"]);
  });
});

Deno.test("entries written to the lock by another run meanwhile are kept (a pull mid-run)", async () => {
  await onParallel(async (graph, lockPath) => {
    await reproduce(graph, openWorkspace(graph), { jobs: 1 });
    const full = Deno.readTextFileSync(lockPath);
    const pulled = readLockFile(lockPath).profiles[graph.profile]!["slow@b"];
    // This machine starts from a lock without slow@b; a shard elsewhere writes it, and a pull
    // brings it in while this run redoes slow@a only.
    const lock = readLockFile(lockPath);
    const { ["slow@b"]: _, ...rest } = lock.profiles[graph.profile]!;
    writeLockFile(lockPath, { ...lock, profiles: { ...lock.profiles, [graph.profile]: rest } });
    const result = await reproduce(graph, openWorkspace(graph), {
      jobs: 1,
      selected: ["slow@a"],
      force: new Set(["slow@a"]),
      onEvent: (ev) => {
        if (ev.type === "start" && ev.name === "slow@a") Deno.writeTextFileSync(lockPath, full);
      },
    });
    assert.deepEqual(result.ran, ["slow@a"]);
    assert.deepEqual(entryNames(lockPath, graph.profile), ["join", "slow@a", "slow@b"]);
    const final = readLockFile(lockPath).profiles[graph.profile]!;
    assert.deepEqual(final["slow@b"], pulled, "the pulled entry survives this run's writes");
    assert.equal(Deno.readTextFileSync(lockPath), full, "slow@a reran to the same entry");
  });
});

Deno.test("a full run drops entries of instances the pipeline no longer has, also pulled ones", async () => {
  await onParallel(async (graph, lockPath) => {
    await reproduce(graph, openWorkspace(graph), { jobs: 1 });
    const before = readLockFile(lockPath);
    const entries = before.profiles[graph.profile]!;
    const stale = { ...entries["slow@a"]!, vars: { part: "c" } };
    const lock = {
      ...before,
      profiles: { ...before.profiles, [graph.profile]: { ...entries, "slow@c": stale } },
    };
    await reproduce(graph, openWorkspace(graph), {
      jobs: 1,
      force: new Set(["slow@a"]),
      onEvent: (ev) => {
        if (ev.type === "start" && ev.name === "slow@a") writeLockFile(lockPath, lock);
      },
    });
    assert.deepEqual(entryNames(lockPath, graph.profile), ["join", "slow@a", "slow@b"]);
  });
});
