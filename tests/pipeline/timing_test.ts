import assert from "node:assert/strict";
import { join } from "node:path";
import { cleanup, cli, copyFixture, reproJson } from "./_helpers.ts";
import {
  estimateSeconds,
  mergeTiming,
  readTimings,
  recordTiming,
  timingPath,
} from "../../lib/pipeline/timing.ts";

Deno.test("two clones, one slowed by a sleep: byte-identical locks, timings kept apart", async () => {
  const fast = copyFixture("timing");
  const slow = copyFixture("timing");
  try {
    Deno.writeTextFileSync(join(slow, "slow.flag"), "");
    for (const dir of [fast, slow]) {
      const r = await reproJson(dir);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.result.ran, ["work", "after"]);
    }
    const lock = (d: string) => Deno.readTextFileSync(join(d, "pipeline.lock"));
    assert.equal(lock(slow), lock(fast));
    assert.ok(!/seconds/.test(lock(fast)), "no wall-clock value in the lock");
    const tSlow = readTimings(timingPath(join(slow, ".quarry")));
    const tFast = readTimings(timingPath(join(fast, ".quarry")));
    const work = tSlow.instances.work!;
    assert.ok(work.seconds >= 0.7, `slow run recorded ${work.seconds} s`);
    assert.ok(work.measures.work_seconds! >= 0.7, "the stage's own measure reached the record");
    assert.ok(work.measures.items_per_second! > 0);
    assert.ok(tFast.instances.work!.measures.work_seconds! < work.measures.work_seconds!);
    assert.equal(work.key, tFast.instances.work!.key);
    const log = Deno.readTextFileSync(join(slow, ".quarry/logs/work.log"));
    assert.match(log, /quarry: ran in \d+\.\d s work_seconds=/);
    // A forced rerun on the slow clone changes the timing record, never the lock.
    const before = lock(slow);
    const again = await reproJson(slow, ["--force", "work"]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(lock(slow), before);
    assert.equal(readTimings(timingPath(join(slow, ".quarry"))).instances.work!.runs, 2);
    // --dry estimates from the record (here: what both instances took on the slow clone).
    const dry = await cli(["repro", "--pipeline", join(slow, "pipeline.yaml"), "--dry", "--force"]);
    assert.match(dry.stdout, /estimate: ~\d+\.\d s of stage time for 2 of 2 instance\(s\)/);
    const fresh = copyFixture("timing");
    try {
      const none = await cli(["repro", "--pipeline", join(fresh, "pipeline.yaml"), "--dry"]);
      assert.match(none.stdout, /estimate: ~0\.0 s .* for 0 of 2 instance\(s\) .*\(2 never did\)/);
    } finally {
      cleanup(fresh);
    }
  } finally {
    cleanup(fast);
    cleanup(slow);
  }
});

Deno.test("mergeTiming keeps a mean per key and restarts it on a new key", () => {
  const a = mergeTiming(undefined, { key: "k1", seconds: 2, measures: { s: 1 } });
  const b = mergeTiming(a, { key: "k1", seconds: 4 });
  assert.deepEqual(b, { key: "k1", seconds: 4, meanSeconds: 3, runs: 2, measures: {} });
  const c = mergeTiming(b, { key: "k2", seconds: 10 });
  assert.equal(c.runs, 1);
  assert.equal(c.meanSeconds, 10);
});

Deno.test("readTimings tolerates a missing or corrupt file; recordTiming merges", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const path = join(dir, "timing.json");
    assert.deepEqual(readTimings(path), { version: 1, instances: {} });
    Deno.writeTextFileSync(path, "{not json");
    assert.deepEqual(readTimings(path).instances, {});
    recordTiming(path, "a", { key: "k", seconds: 1.5 });
    recordTiming(path, "b", { key: "k", seconds: 3 });
    const t = readTimings(path);
    assert.equal(estimateSeconds(t, "a"), 1.5);
    assert.equal(estimateSeconds(t, "b"), 3);
    assert.equal(estimateSeconds(t, "c"), undefined);
  } finally {
    cleanup(dir);
  }
});

Deno.test("timings are kept per profile: a profile's estimate never reads another's runs", async () => {
  const dir = copyFixture("basic");
  try {
    assert.equal(timingPath("/s"), join("/s", "timing.json"));
    assert.equal(timingPath("/s", "default"), join("/s", "timing.json"));
    assert.equal(timingPath("/s", "paper"), join("/s", "timing.paper.json"));
    const r = await reproJson(dir, ["--profile", "small"]);
    assert.equal(r.code, 0, r.stderr);
    const state = join(dir, ".quarry");
    const small = readTimings(timingPath(state, "small"));
    assert.ok(Object.keys(small.instances).length > 0);
    // the default profile has not run: its record (and so its estimate) is empty
    assert.deepEqual(readTimings(timingPath(state)).instances, {});
  } finally {
    cleanup(dir);
  }
});
