import assert from "node:assert/strict";
import { differingOuts } from "../../lib/pipeline/replication.ts";

const recorded = {
  outs: { "w.bin": "h1", "m.json": "h2" },
  metrics: { "m.json": { test_accuracy: 0.99 } },
};

Deno.test("differingOuts() compares metrics files by hash: no timing exemption", () => {
  // The old rule ignored `timing.*` values, which let a wall-clock value hide in a hashed out.
  const now = {
    outs: { "w.bin": "h1", "m.json": "other" },
    metrics: { "m.json": { test_accuracy: 0.99, "timing.train_seconds": 40.1 } },
  };
  assert.deepEqual(differingOuts(recorded, now), ["m.json"]);
  assert.deepEqual(differingOuts(recorded, { ...recorded }), []);
});

Deno.test("differingOuts() reports changed, missing and new plain outs", () => {
  const now = {
    outs: { "w.bin": "h9", "m.json": "h2", "extra.txt": "h3" },
    metrics: recorded.metrics,
  };
  assert.deepEqual(differingOuts(recorded, now), ["extra.txt", "w.bin"]);
  const lost = { outs: { "m.json": "h2" }, metrics: recorded.metrics };
  assert.deepEqual(differingOuts(recorded, lost), ["w.bin"]);
});
