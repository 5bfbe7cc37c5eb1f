import { equal, ok } from "node:assert/strict";
import {
  poolBugFinding,
  type PoolBugResult,
  renderReport,
  type Results,
  THESIS_TARGETS,
} from "../../lib/report/mod.ts";

function bugRun(pool: string, acc: number, size = 60000, test = 10000): PoolBugResult {
  return {
    pool,
    target_dataset: "fashion-mnist",
    pool_size: size,
    test_size: test,
    test_accuracy: acc,
    target_test_accuracy: 0.9,
    agreement: acc,
    epochs: 1,
    batch: 1,
    lr: 0.0001,
    labels: "soft",
  };
}

function results(runs: PoolBugResult[]): Results {
  return {
    targets: [{ dataset: "fashion-mnist", test_accuracy: 0.907, test_size: 10000 }],
    runs: [],
    stops: [],
    pool_bug: runs,
  };
}

Deno.test("poolBugFinding(): supported, not supported, reduced scale, not run", () => {
  equal(THESIS_TARGETS["fashion-mnist"]!.accuracy, 0.6252);
  const supported = poolBugFinding(
    results([bugRun("mnist", 0.6), bugRun("fashion-mnist", 0.85)]),
    "fashion-mnist",
  );
  equal(supported.status, "supported");
  ok(supported.text.includes("60.00%") && supported.text.includes("85.00%"));
  equal(
    poolBugFinding(results([bugRun("mnist", 0.3), bugRun("fashion-mnist", 0.85)]), "fashion-mnist")
      .status,
    "not supported",
    "the MNIST pool lands far from 62.52%",
  );
  equal(
    poolBugFinding(results([bugRun("mnist", 0.6), bugRun("fashion-mnist", 0.64)]), "fashion-mnist")
      .status,
    "not supported",
    "the intended pool lands there too",
  );
  const small = poolBugFinding(
    results([bugRun("mnist", 0.6, 600, 200), bugRun("fashion-mnist", 0.85, 600, 200)]),
    "fashion-mnist",
  );
  equal(small.status, "reduced scale");
  equal(poolBugFinding(results([bugRun("mnist", 0.6)]), "fashion-mnist").status, "not run");
});

Deno.test("the targets table shows both sides' evaluation sets and marks hypotheses", () => {
  const html = renderReport({
    results: results([bugRun("mnist", 0.6), bugRun("fashion-mnist", 0.85)]),
    figures: [],
    claims: [],
  });
  ok(html.includes("62.52%"));
  ok(html.includes("all 10,000 test images"), "the thesis's evaluation set");
  ok(html.includes("scored on 10,000 test images"), "ours");
  ok(html.includes("hypothesis, untested") && html.includes("fact (thesis code)"));
  ok(html.includes("MNIST pool 60.00%; own pool 85.00%"));
  ok(html.includes("measured (pool_bug, supported)"));
});
