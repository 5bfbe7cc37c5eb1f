import assert from "node:assert/strict";
import { join } from "node:path";
import { cleanup, copyFixture } from "./_helpers.ts";
import { analyzePipeline, openWorkspace, reproduce } from "../../lib/pipeline/mod.ts";
import { readLockFile } from "../../lib/pipeline/lock_file.ts";
import { readTimings, timingPath } from "../../lib/pipeline/timing.ts";

Deno.test("a finished instance is in pipeline.lock and the timing record while the rest still runs", async () => {
  const dir = copyFixture("parallel");
  try {
    const analysis = await analyzePipeline(join(dir, "pipeline.yaml"));
    assert.ok(analysis.ok);
    const lockPath = join(dir, "pipeline.lock");
    const seen: Record<string, string[]> = {};
    const timed: Record<string, string[]> = {};
    const timingFile = timingPath(join(dir, ".quarry"), analysis.graph.profile);
    await reproduce(analysis.graph, openWorkspace(analysis.graph), {
      jobs: 1,
      onEvent: (ev) => {
        if (ev.type !== "start") return;
        let names: string[] = [];
        try {
          names = Object.keys(readLockFile(lockPath).profiles[analysis.graph.profile] ?? {});
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
    const final = readLockFile(lockPath).profiles[analysis.graph.profile] ?? {};
    assert.deepEqual(Object.keys(final).sort(), ["join", "slow@a", "slow@b"]);
  } finally {
    cleanup(dir);
  }
});
