import assert from "node:assert/strict";
import { join } from "node:path";
import { cleanup, copyFixture, reproJson } from "./_helpers.ts";

Deno.test("repro --check reruns everything and lists instances whose outs differ from the lock", async () => {
  const dir = copyFixture("basic");
  try {
    assert.equal((await reproJson(dir)).code, 0);
    const ok = await reproJson(dir, ["--check"]);
    assert.equal(ok.code, 0);
    assert.deepEqual(ok.result.ran, ["gen@alpha", "gen@beta", "combine"]);
    assert.deepEqual(ok.result.mismatched, []);

    const lockPath = join(dir, "pipeline.lock");
    const lock = JSON.parse(Deno.readTextFileSync(lockPath));
    lock.profiles.default["gen@beta"].outs["out/gen-beta.txt"] = "0".repeat(64);
    const tampered = JSON.stringify(lock, null, 2) + "\n";
    Deno.writeTextFileSync(lockPath, tampered);
    const bad = await reproJson(dir, ["--check"]);
    assert.equal(bad.code, 1);
    assert.deepEqual(bad.result.mismatched, ["gen@beta"]);
    assert.match(bad.stderr, /outs differ from pipeline.lock: gen@beta/);
    assert.equal(Deno.readTextFileSync(lockPath), tampered, "--check leaves the lock alone");
  } finally {
    cleanup(dir);
  }
});
