/**
 * What a Slurm job runs on the compute node: `deno run -A slurm_job.ts SPEC`. Reads the sandbox
 * options written by `slurm.ts`, runs the same sandboxed child as the local executor for each
 * instance of the job, then writes each one's result record atomically, last (the commit point
 * the login node waits for). SIGTERM (what `scancel` sends) stops the child.
 *
 * @module
 */
import { hostname } from "node:os";
import { writeFileAtomic } from "../fs_util.ts";
import { runSandboxed, type SandboxOptions } from "../sandbox.ts";
import type { JobRecord } from "./slurm.ts";

/**
 * Runs the instances of the job described by the spec file, one after the other (a group job
 * runs several); returns the exit code (0 when all succeeded).
 */
export async function runJob(specPath: string): Promise<number> {
  const spec = JSON.parse(Deno.readTextFileSync(specPath)) as {
    jobs: { options: SandboxOptions; record: string }[];
    submittedAt?: number;
  };
  const controller = new AbortController();
  const stop = () => controller.abort();
  Deno.addSignalListener("SIGTERM", stop);
  let failed = 0;
  try {
    for (const job of spec.jobs) {
      if (controller.signal.aborted) break;
      const startedAt = Date.now();
      const result = await runSandboxed({ ...job.options, signal: controller.signal });
      const jobId = Deno.env.get("SLURM_JOB_ID");
      const record: JobRecord = {
        ...result,
        ...(jobId ? { jobId } : {}),
        host: hostname(),
        ...(spec.submittedAt ? { submittedAt: spec.submittedAt } : {}),
        startedAt,
      };
      writeFileAtomic(job.record, JSON.stringify(record));
      if (!result.ok) failed++;
    }
    return failed ? 1 : 0;
  } finally {
    Deno.removeSignalListener("SIGTERM", stop);
  }
}

if (import.meta.main) {
  const [spec] = Deno.args;
  if (!spec) {
    console.error("usage: slurm_job.ts SPEC.json");
    Deno.exit(2);
  }
  Deno.exit(await runJob(spec));
}
