import assert from "node:assert/strict";
import { join } from "node:path";
import { cleanup, cli, copyFixture, exists, reproJson } from "./_helpers.ts";
import { readLockFile } from "../../lib/pipeline/mod.ts";

Deno.test("repro rejects undeclared writes and isolates failures", async () => {
  const dir = copyFixture("sandbox");
  try {
    const r = await cli([
      "repro",
      "--pipeline",
      join(dir, "pipeline.yaml"),
      "--json",
      "--jobs",
      "2",
    ]);
    assert.equal(r.code, 1);
    assert.deepEqual(JSON.parse(r.stdout), {
      ran: ["fine", "online"],
      cached: [],
      failed: ["sneaky", "broken", "offline"],
      skipped: ["after_broken"],
    });
    assert.match(
      r.stderr,
      /error: Undeclared network access to "127\.0\.0\.1:45678": list the host under the stage's "net" key/,
    );
    assert.equal(
      Deno.readTextFileSync(join(dir, "out/online.txt")),
      "allowed, but nothing listens\n",
    );
    assert.match(
      r.stderr,
      /error: Undeclared write to "out\/undeclared.txt": a stage may write only its declared outs/,
    );
    assert.match(r.stderr, /error: RangeError: Broken on purpose/);
    // Nothing from the failed instances reached the workspace or the cache.
    assert.ok(!exists(join(dir, "out/undeclared.txt")));
    assert.ok(!exists(join(dir, "out/sneaky-declared.txt")));
    assert.ok(!exists(join(dir, "out/broken.txt")));
    assert.equal(Deno.readTextFileSync(join(dir, "out/fine.txt")), "fine\n");
    const runs = [...Deno.readDirSync(join(dir, ".quarry/cache/runs"))]
      .flatMap((d) => [...Deno.readDirSync(join(dir, ".quarry/cache/runs", d.name))]);
    assert.equal(runs.length, 2);
    assert.deepEqual(Object.keys(readLockFile(join(dir, "pipeline.lock")).profiles.default ?? {}), [
      "fine",
      "online",
    ]);
    assert.ok(!exists(join(dir, ".quarry/tmp")));
  } finally {
    cleanup(dir);
  }
});

Deno.test("repro --dry reports without running; --force reruns a cached target", async () => {
  const dir = copyFixture("sandbox");
  try {
    const dry = await reproJson(dir, ["--dry", "fine"]);
    assert.deepEqual(dry.result.ran, ["fine"]);
    assert.ok(!exists(join(dir, "out/fine.txt")));
    assert.deepEqual((await reproJson(dir, ["fine"])).result.ran, ["fine"]);
    assert.deepEqual((await reproJson(dir, ["fine"])).result.cached, ["fine"]);
    assert.deepEqual((await reproJson(dir, ["fine", "--force"])).result.ran, ["fine"]);
  } finally {
    cleanup(dir);
  }
});
