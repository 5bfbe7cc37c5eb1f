import assert from "node:assert/strict";
import { evaluateStopping, stopRound } from "../../lib/active/stopping.ts";
import type { TraceRow } from "../../lib/active/trace.ts";

/** Differences exactly representable in binary, so `<=` at the boundary is exact. */
function trace(): TraceRow[] {
  const batch = [2, 1, 0.75, 0.625, 0.5, 0.4375]; // diffs 1, .25, .125, .125, .0625
  const stop = [1.5, 1.25, 1, 0.9375, 0.9375, 0.875]; // diffs .25, .25, .0625, 0, .0625
  const kappa = [null, 0.5, 0.75, 1, 1, 1];
  return batch.map((b, round) => ({
    round,
    queries: 100 * (round + 1),
    test_accuracy: [0.5, 0.55, 0.6, 0.65, 0.7, 0.75][round]!,
    agreement: [0.5, 0.6, 0.65, 0.7, 0.75, 0.8][round]!,
    batch_entropy: b,
    stopping_entropy: stop[round]!,
    kappa: kappa[round]!,
  }));
}

Deno.test("stopRound() batch-entropy works in log10 units (the thesis's), boundary included", () => {
  const t = trace();
  // Differences in nats 1, .25, .125, .125, .0625; in log10 units (÷ ln 10) 0.4343, 0.1086,
  // 0.0543, 0.0543, 0.0271.
  assert.equal(stopRound(t, "batch-entropy", 0.125), 2);
  assert.equal(stopRound(t, "batch-entropy", 0.1), 3);
  assert.equal(stopRound(t, "batch-entropy", 0.25), 2);
  assert.equal(stopRound(t, "batch-entropy", 0.01), null);
});

Deno.test("stopRound() batch-entropy-nats stops later than log10 at the same alpha", () => {
  const t = trace();
  assert.equal(stopRound(t, "batch-entropy-nats", 0.125), 3);
  assert.equal(stopRound(t, "batch-entropy-nats", 0.1), 5);
  assert.equal(stopRound(t, "batch-entropy-nats", 0.25), 2);
  // 0.05: log10 stops at round 5 (0.0271), nats never (0.0625 > 0.05).
  assert.equal(stopRound(t, "batch-entropy", 0.05), 5);
  assert.equal(stopRound(t, "batch-entropy-nats", 0.05), null);
});

Deno.test("stopRound() thesis-code variant: log10 units and a strict <", () => {
  const t = trace();
  assert.equal(stopRound(t, "batch-entropy:thesis-code", 0.1), 3);
  assert.equal(stopRound(t, "batch-entropy:thesis-code", 0.05), 5);
  // Exactly at the boundary (0.125 nats = 0.0543 log10): the text stops, the code does not.
  assert.equal(stopRound(t, "batch-entropy", 0.125 / Math.LN10), 3);
  assert.equal(stopRound(t, "batch-entropy:thesis-code", 0.125 / Math.LN10), 5);
});

Deno.test("stopRound() on the stopping set (log10) and with stabilising predictions", () => {
  const t = trace();
  // Stopping-set differences in log10 units: 0.1086, 0.1086, 0.0271, 0, 0.0271.
  assert.equal(stopRound(t, "stopping-set-entropy", 0), 4);
  assert.equal(stopRound(t, "stopping-set-entropy", 0.03), 3);
  assert.equal(stopRound(t, "stopping-set-entropy", 0.11), 1);
  assert.equal(stopRound(t, "stabilizing-predictions", 1, { window: 3 }), 5);
  assert.equal(stopRound(t, "stabilizing-predictions", 0.75, { window: 2 }), 3);
  assert.equal(stopRound(t, "stabilizing-predictions", 0.75, { window: 1 }), 2);
  assert.equal(stopRound(t, "stabilizing-predictions", 0.99, { window: 9 }), null);
});

Deno.test("stopRound() never fires on or next to a round without a batch", () => {
  const t = trace();
  t[3]!.batch_entropy = null;
  // 0.06 would fire at round 3 (0.0543); round 4 compares with the missing round 3; round 5 fires.
  assert.equal(stopRound(t, "batch-entropy", 0.06), 5);
  assert.equal(stopRound(t, "batch-entropy-nats", 0.125), 5);
});

Deno.test("stopRound() rejects negative thresholds and bad windows", () => {
  assert.throws(() => stopRound(trace(), "batch-entropy", -0.01), RangeError);
  assert.throws(
    () => stopRound(trace(), "stabilizing-predictions", 0.9, { window: 0 }),
    RangeError,
  );
});

Deno.test("evaluateStopping() reports round, queries and accuracy per rule and threshold", () => {
  const results = evaluateStopping(trace(), {
    alphas: [0.125, 0.01],
    kappaThresholds: [1],
    kappaWindow: 3,
  });
  assert.equal(results.length, 9);
  assert.deepEqual(results[0], {
    rule: "batch-entropy",
    threshold: 0.125,
    window: null,
    stopped: true,
    round: 2,
    queries: 300,
    test_accuracy: 0.6,
    agreement: 0.65,
  });
  assert.deepEqual(results[1], {
    rule: "batch-entropy",
    threshold: 0.01,
    window: null,
    stopped: false,
    round: null,
    queries: null,
    test_accuracy: null,
    agreement: null,
  });
  assert.deepEqual(results.map((r) => [r.rule, r.round]), [
    ["batch-entropy", 2],
    ["batch-entropy", null],
    ["batch-entropy:thesis-code", 2],
    ["batch-entropy:thesis-code", null],
    ["batch-entropy-nats", 3],
    ["batch-entropy-nats", null],
    ["stopping-set-entropy", 1],
    ["stopping-set-entropy", 4],
    ["stabilizing-predictions", 5],
  ]);
});
