import assert from "node:assert/strict";
import { join } from "node:path";
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
