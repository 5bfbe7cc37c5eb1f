import assert from "node:assert/strict";
import { join } from "node:path";
import { cleanup, copyFixture } from "./_helpers.ts";
import { analyzePipeline, openWorkspace, reproduce } from "../../lib/pipeline/mod.ts";

async function runWithJobs(jobs: number) {
  const dir = copyFixture("parallel");
  const analysis = await analyzePipeline(join(dir, "pipeline.yaml"));
  assert.ok(analysis.ok);
  const result = await reproduce(analysis.graph, openWorkspace(analysis.graph), { jobs });
  assert.deepEqual(result.ran, ["slow@a", "slow@b", "join"]);
  return { dir, result, lock: Deno.readTextFileSync(join(dir, "pipeline.lock")) };
}

function overlap(a: { start: number; end: number }, b: { start: number; end: number }): boolean {
  return a.start < b.end && b.start < a.end;
}

Deno.test("--jobs 2 overlaps independent instances, and pipeline.lock is identical for any N", async () => {
  const one = await runWithJobs(1);
  const two = await runWithJobs(2);
  try {
    const t1 = one.result.timings;
    const t2 = two.result.timings;
    assert.ok(!overlap(t1.get("slow@a")!, t1.get("slow@b")!), "jobs 1 must not overlap");
    assert.ok(
      overlap(t2.get("slow@a")!, t2.get("slow@b")!),
      "jobs 2 must overlap the two slow parts",
    );
    // join waits for both in any case
    assert.ok(t2.get("join")!.start >= Math.max(t2.get("slow@a")!.end, t2.get("slow@b")!.end));
    assert.equal(one.lock, two.lock);
    assert.equal(
      Deno.readTextFileSync(join(two.dir, "out/joined.txt")),
      "part a: begin\npart a: end\npart b: begin\npart b: end\n",
    );
  } finally {
    cleanup(one.dir);
    cleanup(two.dir);
  }
});
