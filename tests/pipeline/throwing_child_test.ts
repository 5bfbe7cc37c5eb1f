import assert from "node:assert/strict";
import { join } from "node:path";
import { cleanup, copyFixture } from "./_helpers.ts";
import { analyzePipeline, openWorkspace, reproduce } from "../../lib/pipeline/mod.ts";
import { readLockFile } from "../../lib/pipeline/lock_file.ts";
import { runSandboxed, type SandboxOptions } from "../../lib/pipeline/sandbox.ts";

Deno.test("an executor that throws fails that instance only: the others run and are locked", async () => {
  const dir = copyFixture("parallel");
  try {
    const analysis = await analyzePipeline(join(dir, "pipeline.yaml"));
    assert.ok(analysis.ok);
    const runChild = (o: SandboxOptions) => {
      if (o.ctx.name === "slow@b") throw new Error("sbatch vanished");
      return runSandboxed(o);
    };
    const ws = openWorkspace(analysis.graph);
    const result = await reproduce(analysis.graph, ws, { jobs: 2, runChild });
    assert.deepEqual(result.ran, ["slow@a"]);
    assert.deepEqual(result.failed, ["slow@b"]);
    assert.deepEqual(result.skipped, ["join"]);
    assert.equal(result.outcomes.get("slow@b")?.error, "sbatch vanished");
    const entries = readLockFile(join(dir, "pipeline.lock")).profiles[analysis.graph.profile]!;
    assert.deepEqual(Object.keys(entries), ["slow@a"]);
  } finally {
    cleanup(dir);
  }
});
