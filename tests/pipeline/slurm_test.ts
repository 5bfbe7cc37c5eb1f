import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  groupItems,
  isRetryable,
  parseResources,
  sbatchArgs,
} from "../../lib/pipeline/executor/slurm.ts";
import { openExecutor } from "../../lib/pipeline/scale_cli.ts";
import { openWorkspaceAt } from "../../lib/pipeline/workspace.ts";
import { cleanup, cli, copyFixture, reproJson } from "./_helpers.ts";
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

Deno.test("isRetryable() and groupItems(): busy controllers retried; groups by stage and cost", () => {
  for (
    const busy of [
      "sbatch: error: Batch job submission failed: Socket timed out on send/recv operation",
      "sbatch: error: Slurm temporarily unable to accept job, sleeping and retrying",
      "sbatch: error: Unable to contact slurm controller (connect failure)",
      "sbatch: error: Batch job submission failed: Resource temporarily unavailable (controller busy)",
    ]
  ) assert.ok(isRetryable(busy), busy);
  assert.ok(
    !isRetryable("sbatch: error: Invalid account or account/partition combination specified"),
  );
  const it = (name: string) => ({ name, stage: name.split("@")[0]! });
  const costs = new Map([["a@1", 4], ["a@2", 4], ["a@3", 4], ["b@1", 1], ["c@1", 50]]);
  const groups = groupItems(["a@1", "b@1", "a@2", "a@3", "c@1", "d@1"].map(it), 10, costs);
  assert.deepEqual(groups.map((g) => g.map((x) => x.name)), [
    ["a@1", "a@2"],
    ["b@1"],
    ["a@3"],
    ["c@1"],
    ["d@1"],
  ]);
});

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

async function grouped(cluster: SlurmCluster) {
  const [local, dir] = [copyFixture("scale"), copyFixture("scale")];
  try {
    assert.equal((await reproJson(local!)).code, 0);
    // recorded durations (the runner's timing record): every work instance takes 1 s
    const instances = Object.fromEntries(
      ["a-0", "a-1", "a-2", "b-0", "b-1", "b-2"].map((k) => [`work@${k}`, { meanSeconds: 1 }]),
    );
    Deno.mkdirSync(join(dir!, ".quarry"), { recursive: true });
    Deno.writeTextFileSync(
      join(dir!, ".quarry/timing.json"),
      JSON.stringify({ version: 1, instances }),
    );
    const before = new Set((await squeueAll(cluster.env)).map((j) => j.id));
    const r = await reproJson(dir!, ["--executor", "slurm", "--group-seconds", "600"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.result.ran!.length, 14);
    const jobs = (await squeueAll(cluster.env)).filter((j) => !before.has(j.id));
    const work = jobs.filter((j) => j.comment.startsWith("work@"));
    // the work instances of a dataset become ready together: at most one job per dataset
    assert.ok(work.length <= 2, JSON.stringify(work));
    assert.deepEqual(work.flatMap((j) => j.comment.split(",")).sort(), Object.keys(instances));
    assert.equal(jobs.filter((j) => !j.comment.startsWith("work@")).length, 8); // never grouped
    assert.equal(
      Deno.readTextFileSync(join(dir!, "pipeline.lock")),
      Deno.readTextFileSync(join(local!, "pipeline.lock")),
    );
  } finally {
    cleanup(local!);
    cleanup(dir!);
  }
}

async function slowStates(env: Record<string, string>): Promise<string[]> {
  const o = await new Deno.Command("squeue", {
    args: ["-h", "--states=all", "-o", "%k|%T"],
    env,
    stdout: "piped",
  }).output();
  return dec.decode(o.stdout).split("\n").filter((l) => l.startsWith("slow@")).sort();
}

async function interrupted(cluster: SlurmCluster) {
  const dir = Deno.makeTempDirSync({ prefix: "quarry-slurm-slow-" });
  try {
    Deno.mkdirSync(join(dir, "stages"));
    Deno.writeTextFileSync(
      join(dir, "stages/slow.ts"),
      `export async function run(ctx: { outs: string[] }) {\n` +
        `  await new Promise((r) => setTimeout(r, 120_000));\n` +
        `  await Deno.writeTextFile(ctx.outs[0]!, "late");\n}\n`,
    );
    Deno.writeTextFileSync(
      join(dir, "pipeline.yaml"),
      "stages:\n  slow:\n    run: stages/slow.ts\n    matrix:\n      k: [1, 2]\n" +
        '    outs: ["out/${k}.txt"]\n',
    );
    const controller = new AbortController();
    const file = join(dir, "pipeline.yaml");
    const running = cli(["repro", "--pipeline", file, "--executor", "slurm"], controller.signal);
    const count = async (state: string) =>
      (await slowStates(cluster.env)).filter((l) => l.endsWith(`|${state}`)).length;
    for (let k = 0; k < 300 && (await count("RUNNING")) < 2; k++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(await count("RUNNING"), 2, "both instances run as jobs");
    controller.abort();
    const r = await running;
    assert.equal(r.code, 130, r.stderr);
    for (let k = 0; k < 300 && (await count("CANCELLED")) < 2; k++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(await slowStates(cluster.env), ["slow@1|CANCELLED", "slow@2|CANCELLED"]);
  } finally {
    cleanup(dir);
  }
}

async function smokeCheck(cluster: SlurmCluster) {
  // The repo's own smoke profile, every instance as a Slurm job, compared with pipeline.lock.
  const before = new Set((await squeueAll(cluster.env)).map((j) => j.id));
  const file = fileURLToPath(new URL("../../pipeline.yaml", import.meta.url));
  const args = ["--profile", "smoke", "--executor", "slurm", "--check", "--json"];
  const r = await cli(["repro", "--pipeline", file, ...args]);
  assert.equal(r.code, 0, r.stderr);
  const res = JSON.parse(r.stdout) as { ran: string[]; mismatched: string[] };
  assert.deepEqual(res.mismatched, []);
  assert.ok(res.ran.length >= 12, res.ran.join());
  const jobs = (await squeueAll(cluster.env)).filter((j) => !before.has(j.id));
  assert.deepEqual(jobs.map((j) => j.comment).sort(), [...res.ran].sort());
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
    await t.step("--group-seconds groups instances of known small cost", () => grouped(cluster));
    await t.step("Ctrl-C cancels every job of the run (scancel)", () => interrupted(cluster));
    // About half a minute of training on 2 cores: CI (.ci/run) sets QUARRY_SLURM_SMOKE=1.
    await t.step({
      name: "the smoke profile as Slurm jobs matches pipeline.lock (QUARRY_SLURM_SMOKE=1)",
      ignore: Deno.env.get("QUARRY_SLURM_SMOKE") !== "1",
      fn: () => smokeCheck(cluster),
    });
  } finally {
    old === undefined ? Deno.env.delete("SLURM_CONF") : Deno.env.set("SLURM_CONF", old);
    await cluster.stop();
  }
});
