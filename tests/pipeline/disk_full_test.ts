import assert from "node:assert/strict";
import { join } from "node:path";
import { cleanup, copyFixture, exists, reproJson } from "./_helpers.ts";

function mountTmpfs(dir: string, size: string): boolean {
  const r = new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir],
    stdout: "null",
    stderr: "piped",
  }).outputSync();
  if (!r.success) {
    console.warn(
      `SKIPPED disk-full test: cannot mount a tmpfs (${new TextDecoder().decode(r.stderr).trim()})`,
    );
  }
  return r.success;
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of Deno.readDirSync(d)) {
      const p = join(d, e.name);
      if (e.isDirectory) walk(p);
      else out.push(p);
    }
  };
  if (exists(dir)) walk(dir);
  return out;
}

Deno.test("disk full in the cache: one clear line naming it, no partial object, tmp cleaned, lock intact", async () => {
  const dir = copyFixture("bigout");
  const cache = Deno.makeTempDirSync({ prefix: "quarry-fullcache-" });
  if (!mountTmpfs(cache, "8m")) {
    cleanup(dir);
    cleanup(cache);
    return;
  }
  try {
    // A first, small run fits and is locked; the big one does not fit in 8 MiB.
    const small = await reproJson(dir, ["--cache", cache, "--set", "size_mb=1"]);
    assert.equal(small.code, 0, small.stderr);
    const lockBefore = Deno.readTextFileSync(join(dir, "pipeline.lock"));
    const objectsBefore = filesUnder(join(cache, "objects")).sort();
    const r = await reproJson(dir, ["--cache", cache, "--set", "size_mb=12"]);
    assert.equal(r.code, 1);
    assert.deepEqual(r.result.failed, ["big"]);
    const errors = r.stderr.split("\n").filter((l) => l.includes("error:"));
    assert.equal(errors.length, 1, r.stderr);
    assert.match(
      errors[0]!,
      new RegExp(`error: Cannot write to the cache "${cache}": No space left on device`),
    );
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
    assert.deepEqual(filesUnder(join(cache, "objects")).sort(), objectsBefore, "no partial object");
    assert.deepEqual(filesUnder(cache).filter((f) => f.endsWith(".tmp")), []);
    assert.ok(!exists(join(dir, ".quarry/tmp")), "temp folders cleaned");
    assert.equal(Deno.readTextFileSync(join(dir, "pipeline.lock")), lockBefore, "lock intact");
    assert.equal(Deno.statSync(join(dir, "out/big.bin")).size, 1 << 20, "old out kept");
    // Room again: the same command succeeds.
    Deno.removeSync(join(cache, "objects"), { recursive: true });
    Deno.removeSync(join(cache, "runs"), { recursive: true });
    const again = await reproJson(dir, ["--cache", cache, "--set", "size_mb=6"]);
    assert.equal(again.code, 0, again.stderr);
  } finally {
    new Deno.Command("umount", { args: [cache] }).outputSync();
    cleanup(cache);
    cleanup(dir);
  }
});
