import assert from "node:assert/strict";
import { join } from "node:path";
import { SlurmExecutor } from "../../lib/pipeline/executor/slurm.ts";

Deno.test("a job spec that cannot be written fails the run instead of crashing the runner", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "quarry-slurm-submit-" });
  try {
    const jobDir = join(dir, "jobs");
    const executor = new SlurmExecutor({ jobDir, runId: "quarry-test" });
    // The job folder turns into a file: writing the spec throws inside the submission.
    Deno.removeSync(jobDir);
    Deno.writeTextFileSync(jobDir, "");
    const result = await executor.run({
      workspace: dir,
      module: join(dir, "stage.ts"),
      writeDir: join(dir, "out"),
      net: [],
      ctx: { name: "train", vars: {}, params: {}, deps: [], outs: [] },
    });
    assert.equal(result.ok, false);
    assert.match(result.error ?? "", /^could not submit a Slurm job: /);
    assert.deepEqual([...executor.submitted.keys()], []);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
