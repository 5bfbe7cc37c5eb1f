import assert from "node:assert/strict";
import { join } from "node:path";
import { parseResources, sbatchArgs } from "../../lib/pipeline/executor/slurm.ts";
import { openExecutor } from "../../lib/pipeline/scale_cli.ts";
import { openWorkspaceAt } from "../../lib/pipeline/workspace.ts";
import { cleanup, copyFixture, reproJson } from "./_helpers.ts";
import { type SlurmCluster, startSlurm } from "./_slurm.ts";

const dec = new TextDecoder();

async function squeueAll(
  env: Record<string, string>,
): Promise<{ name: string; comment: string; id: string }[]> {
  const o = await new Deno.Command("squeue", {
    args: ["-h", "--states=all", "-o", "%i|%j|%k"],
    env,
    stdout: "piped",
  }).output();
  return dec.decode(o.stdout).trim().split("\n").filter(Boolean).map((l) => {
    const [id, name, comment] = l.trim().split("|");
    return { id: id!, name: name!, comment: comment! };
  });
}

Deno.test("sbatchArgs() and parseResources(): job name = run id, comment = instance, resources", () => {
  const r = parseResources({ cpus: 2, mem: "4G", time: "1:00:00" }, "stages.x.resources");
  const args = sbatchArgs({
    jobDir: "/j",
    runId: "quarry-1",
    partition: "short",
    account: "lab",
    extraArgs: ["--qos=low"],
    resources: new Map([["work", r]]),
  }, { name: "work@a-0", stage: "work", output: "/j/o", chdir: "/w", command: "exec x" });
  assert.deepEqual(args, [
    "--parsable",
    "--job-name=quarry-1",
    "--comment=work@a-0",
    "--output=/j/o",
    "--chdir=/w",
    "--cpus-per-task=2",
    "--mem=4G",
    "--time=1:00:00",
    "--partition=short",
    "--account=lab",
    "--qos=low",
    "--wrap=exec x",
  ]);
  assert.throws(
    () => parseResources({ cpus: 0 }, "stages.x.resources"),
    /stages\.x\.resources\.cpus: expected a positive integer/,
  );
  assert.throws(() => parseResources({ mem: "lots" }, "s"), /s\.mem: expected a size like 4G/);
  assert.throws(() => parseResources({ gpus: 1 }, "s"), /unknown key "gpus"/);
  const dir = copyFixture("scale");
  try {
    const file = join(dir, "pipeline.yaml");
    const ws = openWorkspaceAt(file);
    assert.throws(
      () => openExecutor({ executor: "k8s" }, file, ws, () => {}),
      /Invalid --executor "k8s"/,
    );
    assert.deepEqual(openExecutor({}, file, ws, () => {}), {});
  } finally {
    cleanup(dir);
  }
});

async function sameLockAsLocal(cluster: SlurmCluster) {
  const [local, remote] = [copyFixture("scale"), copyFixture("scale")];
  try {
    const l = await reproJson(local!);
    assert.equal(l.code, 0, l.stderr);
    const before = new Set((await squeueAll(cluster.env)).map((j) => j.id));
    const s = await reproJson(remote!, ["--executor", "slurm"]);
    assert.equal(s.code, 0, s.stderr);
    assert.deepEqual(s.result.ran, l.result.ran);
    assert.equal(
      Deno.readTextFileSync(join(remote!, "pipeline.lock")),
      Deno.readTextFileSync(join(local!, "pipeline.lock")),
    );
    // every instance ran as its own Slurm job: one run id as the name, the instance as comment
    const jobs = (await squeueAll(cluster.env)).filter((j) => !before.has(j.id));
    assert.deepEqual(jobs.map((j) => j.comment).sort(), [...l.result.ran!].sort());
    assert.equal(new Set(jobs.map((j) => j.name)).size, 1);
    assert.match(jobs[0]!.name, /^quarry-/);
    // per-stage resources reach sbatch (the fixture gives `work` a 10-minute limit)
    const work = jobs.find((j) => j.comment === "work@a-0")!;
    const show = await new Deno.Command("scontrol", {
      args: ["show", "job", work.id],
      env: cluster.env,
      stdout: "piped",
    }).output();
    assert.match(dec.decode(show.stdout), /TimeLimit=00:10:00/);
    // a second run restores everything without submitting a job
    const again = await reproJson(remote!, ["--executor", "slurm"]);
    assert.deepEqual(again.result.ran, []);
    assert.equal((await squeueAll(cluster.env)).length, jobs.length + before.size);
  } finally {
    cleanup(local!);
    cleanup(remote!);
  }
}

async function failingJob(_cluster: SlurmCluster) {
  const dir = copyFixture("scale");
  try {
    // a stage that writes an undeclared file fails on the node with the sandbox's message
    Deno.writeTextFileSync(
      join(dir, "stages/step.ts"),
      `export async function run() { await Deno.writeTextFile("stray.txt", "x"); }\n`,
    );
    const r = await reproJson(dir, ["--executor", "slurm", "prepare@a"]);
    assert.equal(r.code, 1);
    assert.deepEqual(r.result.failed, ["prepare@a"]);
    assert.match(r.stderr, /Undeclared write to "stray\.txt"/);
  } finally {
    cleanup(dir);
  }
}

Deno.test("--executor slurm on a single-node Slurm cluster started by the test", async (t) => {
  const cluster = await startSlurm();
  if ("skip" in cluster) {
    console.error(
      `\n*** SKIPPED Slurm executor tests: the cluster could not start: ${cluster.skip} ***\n`,
    );
    await t.step({ name: "SKIPPED: Slurm could not start", ignore: true, fn: () => {} });
    return;
  }
  const old = Deno.env.get("SLURM_CONF");
  Deno.env.set("SLURM_CONF", cluster.env.SLURM_CONF!);
  try {
    await t.step(
      "the lock is byte-identical to the local run; one job per instance",
      () => sameLockAsLocal(cluster),
    );
    await t.step(
      "a failing stage fails its instance with the sandbox's message",
      () => failingJob(cluster),
    );
  } finally {
    old === undefined ? Deno.env.delete("SLURM_CONF") : Deno.env.set("SLURM_CONF", old);
    await cluster.stop();
  }
});
