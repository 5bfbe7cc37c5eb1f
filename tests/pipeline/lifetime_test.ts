import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { cleanup, cli, copyFixture, exists, findTmp, reproJson } from "./_helpers.ts";
import { analyzePipeline, openWorkspace, reproduce } from "../../lib/pipeline/mod.ts";
import { processStart, reapOrphans } from "../../lib/pipeline/children.ts";

const CLI = fileURLToPath(new URL("../../lib/pipeline/cli.ts", import.meta.url));

function spawnRepro(dir: string, extra: string[], env: Record<string, string> = {}) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, "repro", "--pipeline", join(dir, "pipeline.yaml"), ...extra],
    stdout: "piped",
    stderr: "piped",
    env,
  }).spawn();
}

/** Waits for the running stage's pid file in this run's temp folder; returns the stage's pid. */
async function stagePid(dir: string): Promise<number> {
  for (let i = 0; i < 600; i++) {
    const p = findTmp(dir, "slow/out/slow/pid.txt");
    const text = p ? Deno.readTextFileSync(p) : "";
    if (text) return Number(text);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("the stage never started");
}

const alive = (pid: number) => processStart(pid) !== undefined;

Deno.test("the stage child runs in its own process group", async () => {
  const dir = copyFixture("lifetime");
  const runner = spawnRepro(dir, ["--set", "sleep_ms=3000"]);
  try {
    const pid = await stagePid(dir);
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const pgid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
    assert.equal(pgid, pid, "the child leads its own group");
    assert.notEqual(pgid, Deno.pid);
  } finally {
    runner.kill("SIGINT");
    await runner.output();
    cleanup(dir);
  }
});

Deno.test("Ctrl-C with a stage that ignores SIGTERM: SIGKILL after the grace period, exit 130", async () => {
  const dir = copyFixture("lifetime");
  try {
    const runner = spawnRepro(dir, ["--set", "stubborn=true", "--json"], {
      QUARRY_KILL_GRACE: "1",
    });
    const pid = await stagePid(dir);
    runner.kill("SIGINT");
    const out = await runner.output();
    assert.equal(out.code, 130, new TextDecoder().decode(out.stderr));
    assert.ok(!alive(pid), "the stubborn stage was killed");
    assert.ok(!exists(join(dir, ".quarry/tmp")));
    assert.ok(!exists(join(dir, ".quarry/children.json")));
    assert.ok(!exists(join(dir, ".quarry/repro.pid")));
    assert.ok(!exists(join(dir, "out/slow")));
  } finally {
    cleanup(dir);
  }
});

Deno.test("a second Ctrl-C kills the children at once, releases the lock and exits 130", async () => {
  const dir = copyFixture("lifetime");
  try {
    const runner = spawnRepro(dir, ["--set", "stubborn=true"], { QUARRY_KILL_GRACE: "600" });
    const pid = await stagePid(dir);
    runner.kill("SIGINT");
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(alive(pid), "the stubborn stage ignores the first SIGTERM");
    runner.kill("SIGINT");
    const out = await runner.output();
    assert.equal(out.code, 130);
    for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(!alive(pid), "no orphan left running");
    assert.ok(!exists(join(dir, ".quarry/repro.pid")), "no stale lock file");
  } finally {
    cleanup(dir);
  }
});

Deno.test("SIGKILL of the runner: the next repro kills the orphan and discards its temp folder", async () => {
  const dir = copyFixture("lifetime");
  try {
    const runner = spawnRepro(dir, []);
    const pid = await stagePid(dir);
    const orphanTmp = findTmp(dir, "slow")!;
    runner.kill("SIGKILL");
    await runner.output();
    assert.ok(alive(pid), "the orphan outlives its runner (its own process group)");
    assert.ok(exists(join(dir, ".quarry/children.json")), "the runner recorded its child");
    const r = await reproJson(dir, ["--set", "sleep_ms=0"]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.result.ran, ["slow"]);
    assert.match(r.stderr, /Took over the lock of process \d+/);
    assert.ok(!alive(pid), "the orphan was killed");
    assert.ok(!exists(orphanTmp), "the orphan's temp folder was discarded");
    const files = [...Deno.readDirSync(join(dir, "out/slow"))].map((e) => e.name).sort();
    assert.deepEqual(files, ["done.txt", "part-0.txt", "pid.txt"], "no file of the orphan's");
    assert.ok(!exists(join(dir, ".quarry/children.json")));
  } finally {
    cleanup(dir);
  }
});

Deno.test("--timeout kills and fails an instance that overruns, with a clear message", async () => {
  const dir = copyFixture("lifetime");
  try {
    const r = await cli(["repro", "--pipeline", join(dir, "pipeline.yaml"), "--timeout", "1"]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /FAILED {3}slow/);
    assert.match(r.stdout, /error: Timed out after 1 s: the instance was killed/);
    assert.ok(!exists(join(dir, "out/slow")));
    const bad = await cli(["repro", "--pipeline", join(dir, "pipeline.yaml"), "--timeout", "0"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /Invalid --timeout "0": expected a positive number of seconds/);
  } finally {
    cleanup(dir);
  }
});

Deno.test("a stage's own timeout (Instance.timeout) wins over --timeout", async () => {
  const dir = copyFixture("lifetime");
  try {
    const analysis = await analyzePipeline(join(dir, "pipeline.yaml"));
    assert.ok(analysis.ok);
    const g = analysis.graph;
    const graph = { ...g, instances: g.instances.map((i) => ({ ...i, timeout: 0.5 })) };
    const result = await reproduce(graph, openWorkspace(graph), { timeout: 600 });
    assert.deepEqual(result.failed, ["slow"]);
    assert.match(result.outcomes.get("slow")!.error!, /^Timed out after 0\.5 s/);
  } finally {
    cleanup(dir);
  }
});

Deno.test("reapOrphans kills only children of a dead runner, and never a reused PID", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "quarry-reap-" });
  const spawnSleep = () =>
    new Deno.Command("/usr/bin/setsid", { args: ["sleep", "30"], stdout: "null" }).spawn();
  const orphan = spawnSleep();
  const stranger = spawnSleep();
  const kept = spawnSleep();
  const liveRunner = spawnSleep();
  try {
    const path = join(dir, "children.json");
    for (const name of ["o", "s", "k"]) Deno.mkdirSync(join(dir, name));
    const rec = (c: Deno.ChildProcess, name: string, runner: number, start?: string) => ({
      pid: c.pid,
      start: start ?? processStart(c.pid)!,
      group: true,
      instance: name,
      dir: join(dir, name),
      runner,
    });
    const deadRunner = 999999999;
    Deno.writeTextFileSync(
      path,
      JSON.stringify([
        rec(orphan, "o", deadRunner),
        rec(stranger, "s", deadRunner, "1"), // the PID now belongs to another process
        rec(kept, "k", liveRunner.pid),
      ]),
    );
    const killed = await reapOrphans(path);
    assert.deepEqual(killed, [orphan.pid]);
    assert.equal((await orphan.status).signal, "SIGKILL");
    assert.ok(alive(stranger.pid) && alive(kept.pid));
    assert.ok(!exists(join(dir, "o")) && !exists(join(dir, "s")) && exists(join(dir, "k")));
    assert.deepEqual(JSON.parse(Deno.readTextFileSync(path)).map((r: { pid: number }) => r.pid), [
      kept.pid,
    ]);
  } finally {
    for (const c of [stranger, kept, liveRunner]) {
      try {
        c.kill("SIGKILL");
      } catch {
        // gone
      }
      await c.status;
    }
    cleanup(dir);
  }
});

Deno.test("timeout: in pipeline.yaml kills and fails the instance, and wins over --timeout", async () => {
  const dir = copyFixture("lifetime");
  try {
    const yaml = join(dir, "pipeline.yaml");
    Deno.writeTextFileSync(yaml, Deno.readTextFileSync(yaml) + "    timeout: 1s\n");
    const r = await cli(["repro", "--pipeline", yaml, "--timeout", "600"]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /error: Timed out after 1 s: the instance was killed/);
  } finally {
    cleanup(dir);
  }
});
