import assert from "node:assert/strict";
import { cleanup, cli } from "../_helpers.ts";

// The repository's own pipeline, smoke profile: `--dry` validates every stage (in read-only
// children) and refuses what a stage could not use, before anything runs.
async function dry(...set: string[]) {
  const cache = Deno.makeTempDirSync({ prefix: "quarry-dry-" });
  try {
    const sets = set.flatMap((s) => ["--set", s]);
    return await cli(["repro", "--dry", "--profile", "smoke", "--cache", cache, ...sets]);
  } finally {
    cleanup(cache);
  }
}

Deno.test("--dry refuses an unknown active.model and a batch larger than the pool", async () => {
  const r = await dry("active.model=resnet", "active.batch=5000");
  assert.equal(r.code, 2, r.stderr);
  assert.match(
    r.stderr,
    /pipeline\.yaml:\d+:\d+: Invalid param "active\.model" for [\w@-]+: expected a model name \("lenet"\) or an object, got "resnet"/,
  );
  assert.match(
    r.stderr,
    /Invalid param "active\.batch" for [\w@-]+: expected at most the pool size \(active\.pool_size is 600\), got 5000/,
  );
  assert.match(r.stderr, /nothing ran/);
});

Deno.test("--dry refuses a --set that replaces the active mapping with a number", async () => {
  const r = await dry("active=5");
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /Invalid value for param "active" in --set: expected a mapping \(as in params\), got 5/,
  );
});
