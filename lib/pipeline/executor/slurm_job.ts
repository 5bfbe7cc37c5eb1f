/**
 * What a Slurm job runs on the compute node: `deno run -A slurm_job.ts SPEC`. Reads the sandbox
 * options written by `slurm.ts`, runs the same sandboxed child as the local executor, then writes
 * the result record atomically, last (the commit point the login node waits for). SIGTERM (what
 * `scancel` sends) stops the child.
 *
 * @module
 */
import { hostname } from "node:os";
import { writeFileAtomic } from "../fs_util.ts";
import { runSandboxed, type SandboxOptions } from "../sandbox.ts";
import type { JobRecord } from "./slurm.ts";

/** Runs the job described by the spec file; returns the exit code. */
export async function runJob(specPath: string): Promise<number> {
  const spec = JSON.parse(Deno.readTextFileSync(specPath)) as {
    options: SandboxOptions;
    record: string;
  };
  const controller = new AbortController();
  const stop = () => controller.abort();
  Deno.addSignalListener("SIGTERM", stop);
  try {
    const result = await runSandboxed({ ...spec.options, signal: controller.signal });
    const jobId = Deno.env.get("SLURM_JOB_ID");
    const record: JobRecord = { ...result, ...(jobId ? { jobId } : {}), host: hostname() };
    writeFileAtomic(spec.record, JSON.stringify(record));
    return result.ok ? 0 : 1;
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
