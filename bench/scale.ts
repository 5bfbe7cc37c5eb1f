/**
 * `deno task bench scale [--instances N] [--jobs N] [--no-slurm] [--json]`:
 *
 * 1. Planned cost per shard for the paper profile, n = 2, 4, 8, 16, with equal costs (an empty
 *    cache): max/mean of the expected cost per shard (shared upstream counted in shard 1).
 * 2. When Slurm is installed: a single-node cluster (started and stopped by PID, as in the tests)
 *    runs a generated pipeline of N trivial instances (default 16) with `--executor slurm`, against
 *    the local executor: wall time of each, overhead per instance, and submit-to-start latency
 *    per job (from the login node's submit to the instance starting on the node).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { analyzePipeline } from "../lib/pipeline/analyze.ts";
import { selectInstances } from "../lib/pipeline/plan.ts";
import { startSlurm } from "../tests/pipeline/_slurm.ts";
import { median } from "./_stats.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CLI = join(ROOT, "lib/pipeline/cli.ts");

/** One row of the shard table. */
export interface ShardRow {
  readonly n: number;
  readonly max: number;
  readonly mean: number;
  readonly ratio: number;
  readonly min: number;
  /** Instances in the paper profile. */
  readonly instances: number;
}

/** Planned cost per shard of the paper profile for each n (equal costs). */
export async function shardTable(ns: readonly number[]): Promise<ShardRow[]> {
  const r = await analyzePipeline(join(ROOT, "pipeline.yaml"), { profile: "paper" });
  if (!r.ok) throw new Error("pipeline.yaml (paper profile) does not validate");
  return ns.map((n) => {
    const loads = selectInstances(r.graph, { shard: { index: 1, count: n } }).shard!.loads;
    const mean = loads.reduce((a, b) => a + b, 0) / n;
    const max = Math.max(...loads);
    const instances = r.graph.instances.length;
    return { n, max, mean, ratio: max / mean, min: Math.min(...loads), instances };
  });
}

function tickPipeline(n: number): string {
  const dir = Deno.makeTempDirSync({ prefix: "quarry-bench-scale-" });
  Deno.mkdirSync(join(dir, "stages"));
  Deno.writeTextFileSync(
    join(dir, "stages/tick.ts"),
    "export async function run(ctx: { name: string; outs: string[] }) {\n" +
      "  await Deno.writeTextFile(ctx.outs[0]!, ctx.name);\n}\n",
  );
  Deno.writeTextFileSync(
    join(dir, "pipeline.yaml"),
    `stages:\n  tick:\n    run: stages/tick.ts\n    matrix:\n      k: ${
      JSON.stringify([...Array(n).keys()])
    }\n` +
      '    outs: ["out/${k}.txt"]\n',
  );
  return dir;
}

async function timedRepro(dir: string, extra: string[], env: Record<string, string> = {}) {
  const t0 = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, "repro", "--pipeline", join(dir, "pipeline.yaml"), "--json", ...extra],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const seconds = (performance.now() - t0) / 1000;
  if (!out.success) throw new Error(`repro failed: ${new TextDecoder().decode(out.stderr)}`);
  return seconds;
}

/** Slurm against local on N trivial instances; `undefined` (with a reason) without Slurm. */
async function slurmVsLocal(n: number, jobs: number) {
  const cluster = await startSlurm();
  if ("skip" in cluster) return { skipped: cluster.skip.split("\n")[0]! };
  const dirs = [tickPipeline(n), tickPipeline(n)];
  try {
    const local = await timedRepro(dirs[0]!, ["--jobs", String(jobs)]);
    const slurm = await timedRepro(dirs[1]!, ["--executor", "slurm"], cluster.env);
    const latencies: number[] = [];
    const base = join(dirs[1]!, ".quarry/slurm");
    for (const run of Deno.readDirSync(base)) {
      for (const f of Deno.readDirSync(join(base, run.name))) {
        if (!f.name.endsWith(".result.json")) continue;
        const rec = JSON.parse(Deno.readTextFileSync(join(base, run.name, f.name)));
        if (rec.startedAt && rec.submittedAt) {
          latencies.push((rec.startedAt - rec.submittedAt) / 1000);
        }
      }
    }
    return {
      instances: n,
      local_s: local,
      slurm_s: slurm,
      overhead_per_instance_s: (slurm - local) / n,
      submit_to_start_min_s: Math.min(...latencies),
      submit_to_start_median_s: median(latencies),
      submit_to_start_max_s: Math.max(...latencies),
    };
  } finally {
    for (const d of dirs) Deno.removeSync(d, { recursive: true });
    await cluster.stop();
  }
}

/** Entry point (`bench/main.ts`). */
export async function main(args: string[]): Promise<void> {
  const { values: v } = parseArgs({
    args,
    options: {
      instances: { type: "string" },
      jobs: { type: "string" },
      "no-slurm": { type: "boolean" },
      json: { type: "boolean" },
    },
  });
  const n = Number(v.instances ?? 16);
  const jobs = Number(v.jobs ?? navigator.hardwareConcurrency ?? 2);
  const shards = await shardTable([2, 4, 8, 16]);
  const slurm = v["no-slurm"] ? { skipped: "--no-slurm" } : await slurmVsLocal(n, jobs);
  if (v.json) {
    console.log(JSON.stringify({ shards, slurm }));
    return;
  }
  console.log(
    `Paper profile, planned cost per shard (equal costs, empty cache; ${
      shards[0]?.instances ?? 0
    } instances,`,
  );
  console.log(
    "plots and report left for the final plain repro, prepare/target counted in shard 1):",
  );
  console.log("| shards | max | mean | min | max/mean |");
  console.log("| -----: | --: | ---: | --: | -------: |");
  for (const r of shards) {
    console.log(`| ${r.n} | ${r.max} | ${r.mean.toFixed(2)} | ${r.min} | ${r.ratio.toFixed(3)} |`);
  }
  if ("skipped" in slurm) {
    console.log(`\nSlurm: SKIPPED (${slurm.skipped})`);
    return;
  }
  console.log(`\n${slurm.instances} trivial instances, local executor (--jobs ${jobs}) against`);
  console.log("--executor slurm on a single-node cluster started for the benchmark:");
  console.log("(submit-to-start: from sbatch to the instance starting on the node, queueing for a");
  console.log("free core included; the minimum is the scheduler's own latency)");
  console.log(
    "| executor | wall s | overhead per instance s | submit-to-start min / median / max s |",
  );
  console.log(
    "| -------- | -----: | ----------------------: | -----------------------------------: |",
  );
  console.log(`| local | ${slurm.local_s.toFixed(2)} | – | – |`);
  console.log(
    `| slurm | ${slurm.slurm_s.toFixed(2)} | ${slurm.overhead_per_instance_s.toFixed(3)} | ` +
      `${slurm.submit_to_start_min_s.toFixed(2)} / ${
        slurm.submit_to_start_median_s.toFixed(2)
      } / ` +
      `${slurm.submit_to_start_max_s.toFixed(2)} |`,
  );
}
