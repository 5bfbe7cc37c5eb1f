import assert from "node:assert/strict";
import { scaleNote } from "../../lib/report/html.ts";
import type { Results, RunResult } from "../../lib/report/results.ts";

function run(repeat: number, queries: number): RunResult {
  const row = {
    round: 0,
    queries,
    test_accuracy: 0.5,
    agreement: 0.5,
    batch_entropy: null,
    stopping_entropy: 1,
    kappa: null,
  };
  return {
    experiment: "select",
    dataset: "mnist",
    series: "entropy",
    seed_size: 100,
    repeat,
    trace: [row],
  } as unknown as RunResult;
}

Deno.test("scaleNote() names repeats and queries of a reduced run", () => {
  const results = { targets: [], runs: [run(0, 1000)], stops: [] } as unknown as Results;
  const note = scaleNote(results);
  assert.match(note, /Reduced scale:<\/strong> 1 repeat, at most 1,000 queries per run/);
  assert.match(note, /5 repeats, up to 20,000 queries/);
});

Deno.test("scaleNote() is empty at the thesis's scale", () => {
  const runs = [0, 1, 2, 3, 4].map((r) => run(r, 20000));
  assert.equal(scaleNote({ targets: [], runs, stops: [] } as unknown as Results), "");
});
