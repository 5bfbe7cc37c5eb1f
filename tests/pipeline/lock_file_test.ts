import assert from "node:assert/strict";
import { join } from "node:path";
import { cleanup, cli, copyFixture } from "./_helpers.ts";
import {
  emptyLock,
  type LockFile,
  parseLockFile,
  readLockFile,
  serializeLockFile,
  writeLockFile,
} from "../../lib/pipeline/mod.ts";

const ENTRY = {
  key: "k",
  stage: "s",
  run: "s.ts",
  vars: {},
  params: { b: 1, a: { y: 2, x: 1 } },
  deps: {},
  code: {},
  packages: [],
  outs: { "o.txt": "h" },
  metrics: {},
};

Deno.test("serializeLockFile() gives the same bytes whatever the insertion order", () => {
  const a: LockFile = { version: 1, profiles: { p: { z: ENTRY, a: ENTRY } } };
  const b: LockFile = { profiles: { p: { a: ENTRY, z: ENTRY } }, version: 1 };
  assert.equal(serializeLockFile(a), serializeLockFile(b));
  assert.ok(serializeLockFile(a).indexOf('"a": {') < serializeLockFile(a).indexOf('"z": {'));
  assert.ok(serializeLockFile(a).endsWith("}\n"));
});

Deno.test("readLockFile() reads what writeLockFile() wrote; a missing file is empty", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const path = join(dir, "pipeline.lock");
    assert.deepEqual(readLockFile(path), emptyLock());
    const lock: LockFile = { version: 1, profiles: { quick: { s: ENTRY } } };
    assert.equal(writeLockFile(path, lock), true);
    assert.equal(writeLockFile(path, lock), false, "unchanged bytes are not rewritten");
    assert.deepEqual(readLockFile(path).profiles.quick?.s?.params, { a: { x: 1, y: 2 }, b: 1 });
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("parseLockFile() names the source of a bad lock", () => {
  assert.throws(
    () => parseLockFile("{", "HEAD:pipeline.lock"),
    /Invalid lock file "HEAD:pipeline.lock"/,
  );
  assert.throws(() => parseLockFile('{"version": 9, "profiles": {}}'), /expected version 1, got 9/);
});

Deno.test("a truncated, empty or conflicted pipeline.lock: exit 2 naming the file, nothing ran", async () => {
  const dir = copyFixture("basic");
  try {
    const yaml = join(dir, "pipeline.yaml");
    const ok = await cli(["repro", "--pipeline", yaml]);
    assert.equal(ok.code, 0, ok.stderr);
    const lockPath = join(dir, "pipeline.lock");
    const good = Deno.readTextFileSync(lockPath);
    const conflicted = `<<<<<<< HEAD\n${good}=======\n${good}>>>>>>> other\n`;
    const cases: [string, string, RegExp][] = [
      ["truncated", good.slice(0, good.length / 2), /not valid JSON, truncated\?/],
      ["empty", "", /the file is empty/],
      ["conflicted", conflicted, /git merge conflict markers/],
    ];
    for (const [what, text, why] of cases) {
      Deno.writeTextFileSync(lockPath, text);
      for (const cmd of ["repro", "status"]) {
        const r = await cli([cmd, "--pipeline", yaml, "--force"].slice(0, cmd === "repro" ? 4 : 3));
        assert.equal(r.code, 2, `${what} ${cmd}: ${r.stderr}`);
        assert.match(
          r.stderr,
          new RegExp(`Invalid lock file "${lockPath.replaceAll("/", "\\/")}"`),
        );
        assert.match(r.stderr, why);
        assert.match(r.stderr, /Restore it from git, or delete it/);
        assert.equal(r.stderr.trim().split("\n").length, 1, "one line, no stack trace");
        assert.equal(Deno.readTextFileSync(lockPath), text, "the lock is left as it was");
      }
    }
  } finally {
    cleanup(dir);
  }
});
