import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { cleanup, cli, copyFixture, exists, findTmp } from "./_helpers.ts";
import { acquireProcessLock, readLockFile } from "../../lib/pipeline/mod.ts";

const CLI = fileURLToPath(new URL("../../lib/pipeline/cli.ts", import.meta.url));

Deno.test("Ctrl-C stops the children, leaves no partial out and an intact lock file", async () => {
  const dir = copyFixture("parallel");
  try {
    // Long sleeps: the interrupt arrives while slow@b is half written.
    const yaml = join(dir, "pipeline.yaml");
    Deno.writeTextFileSync(
      yaml,
      Deno.readTextFileSync(yaml).replace("sleep_ms: 400", "sleep_ms: 20000"),
    );
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", CLI, "repro", "--pipeline", yaml, "--jobs", "1", "--json"],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    let partial: string | undefined;
    for (let i = 0; i < 600 && !partial; i++) {
      await new Promise((r) => setTimeout(r, 50));
      partial = findTmp(dir, "slow@a/out/a.txt");
    }
    assert.ok(partial, "the stage should have started writing");
    child.kill("SIGINT");
    const out = await child.output();
    const stdout = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 130);
    assert.deepEqual(JSON.parse(stdout), {
      ran: [],
      cached: [],
      failed: [],
      skipped: ["slow@a", "slow@b", "join"],
    });
    assert.ok(!exists(join(dir, "out/a.txt")));
    assert.ok(!exists(join(dir, ".quarry/tmp")));
    assert.ok(!exists(join(dir, ".quarry/repro.pid")));
    const lock = readLockFile(join(dir, "pipeline.lock"));
    assert.deepEqual(lock.profiles.default ?? {}, {});
  } finally {
    cleanup(dir);
  }
});

Deno.test("a second repro on a busy workspace refuses, naming the holder", async () => {
  const dir = copyFixture("basic");
  try {
    const held = await acquireProcessLock(join(dir, ".quarry/repro.pid"), {
      command: "repro (test)",
    });
    try {
      const r = await cli(["repro", "--pipeline", join(dir, "pipeline.yaml")]);
      assert.equal(r.code, 3);
      assert.match(r.stderr, new RegExp(`held by process ${Deno.pid} \\(repro \\(test\\)`));
      assert.ok(!exists(join(dir, "out")));
    } finally {
      held.release();
    }
    // A stale lock (dead PID) is taken over.
    Deno.writeTextFileSync(
      join(dir, ".quarry/repro.pid"),
      JSON.stringify({ pid: 999999999, command: "gone", started: "" }),
    );
    const r = await cli(["repro", "--pipeline", join(dir, "pipeline.yaml"), "gen@alpha"]);
    assert.equal(r.code, 0);
  } finally {
    cleanup(dir);
  }
});

Deno.test("repro --wait waits for the holder to finish", async () => {
  const dir = copyFixture("basic");
  try {
    const held = await acquireProcessLock(join(dir, ".quarry/repro.pid"), { command: "holder" });
    setTimeout(() => held.release(), 400);
    const r = await cli(["repro", "--pipeline", join(dir, "pipeline.yaml"), "--wait", "gen@beta"]);
    assert.equal(r.code, 0);
    assert.match(r.stderr, /Waiting for process \d+ \(holder\) to finish/);
    assert.equal(Deno.readTextFileSync(join(dir, "out/gen-beta.txt")), "beta beta beta\n");
    assert.match(
      Deno.readTextFileSync(join(dir, ".quarry/logs/gen@beta.log")),
      /^quarry: ran in \d+\.\d s\n$/,
    );
  } finally {
    cleanup(dir);
  }
});
