import assert from "node:assert/strict";
import { join } from "node:path";
import { ranks, spearman, spearmanTest } from "../../lib/report/stats/rank.ts";
import {
  loadTransferResults,
  transferCurve,
  type TransferRecord,
  transferScore,
} from "../../lib/report/transfer_results.ts";
import { agreementClaim, transferClaims, winnersClaim } from "../../lib/report/transfer_claims.ts";
import type { Results, RunResult } from "../../lib/report/results.ts";
import { buildFigures } from "../../lib/report/figures.ts";

function record(
  strategy: string,
  repeat: number,
  budget: number,
  agreement: number,
  transfer: number,
): TransferRecord {
  return {
    dataset: "mnist",
    strategy,
    repeat,
    budget,
    agreement,
    rows: [
      { attack: "pgd", eps: 0.1, transfer, white_box: 0.9, ceiling: 0.95, floor: 0.02 },
      { attack: "pgd", eps: 0.3, transfer: transfer + 0.2, white_box: 1, ceiling: 1, floor: 0.1 },
    ],
  };
}

Deno.test("ranks() and spearman() match hand-computed values", () => {
  assert.deepEqual([...ranks([3, 1, 2, 2])], [4, 1, 2.5, 2.5]);
  assert.equal(spearman([1, 2, 3, 4, 5], [2, 4, 6, 8, 100]), 1);
  assert.equal(spearman([1, 2, 3, 4, 5], [5, 4, 3, 2, 1]), -1);
  assert.equal(spearman([1, 2, 3], [7, 7, 7]), null);
  assert.ok(Math.abs(spearman([1, 2, 3, 4], [1, 3, 2, 4])! - 0.8) < 1e-12);
});

Deno.test("spearmanTest() gives a small p for a monotone relation and a large one for none", () => {
  const x = [1, 2, 3, 4, 5, 6, 7, 8];
  const strong = spearmanTest(x, x.map((v) => v * v), { permutations: 999, seed: 1 });
  assert.equal(strong.rho, 1);
  // Only the identity order (1 of 8! ≈ 40,320) reaches rho = 1: p is (1 + hits) / 1000.
  assert.ok(strong.p! < 0.01, `p ${strong.p}`);
  const none = spearmanTest(x, [4, 8, 1, 5, 3, 7, 2, 6], { permutations: 999, seed: 1 });
  assert.ok(none.p! > 0.3, `p ${none.p}`);
  assert.deepEqual(spearmanTest(x, x, { permutations: 99, seed: 3 }), {
    ...spearmanTest(x, x, { permutations: 99, seed: 3 }),
  });
});

Deno.test("loadTransferResults() reads the transfer folder and skips other JSON", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const doc = {
      agreement: 0.5,
      budget: 100,
      dataset: "mnist",
      denominators: { transfer: "target_correct" },
      repeat: 1,
      rows: [{
        attack: "fgsm",
        eps: 0.1,
        transfer: { fooled: 1, of: 4, rate: 0.25 },
        white_box: { fooled: 2, of: 4, rate: 0.5 },
        ceiling: { fooled: 3, of: 4, rate: 0.75 },
        floor: { fooled: 0, of: 4, rate: 0 },
      }],
      strategy: "dfal+k-center",
    };
    await Deno.writeTextFile(join(dir, "mnist-dfal+k-center-r1-q100.json"), JSON.stringify(doc));
    await Deno.writeTextFile(join(dir, "other.json"), JSON.stringify({ hello: 1 }));
    const records = await loadTransferResults([dir, join(dir, "missing")]);
    assert.equal(records.length, 1);
    assert.equal(records[0]!.strategy, "dfal_k_center");
    assert.deepEqual(records[0]!.rows[0], {
      attack: "fgsm",
      eps: 0.1,
      transfer: 0.25,
      white_box: 0.5,
      ceiling: 0.75,
      floor: 0,
    });
    await Deno.writeTextFile(join(dir, "bad.json"), JSON.stringify({ ...doc, budget: "x" }));
    await assert.rejects(() => loadTransferResults([dir]), /bad\.json.*budget/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("transferCurve() averages strategies over repeats and gives ceiling and floor", () => {
  const records = [record("random", 0, 100, 0.5, 0.1), record("random", 1, 100, 0.6, 0.3)];
  const pts = transferCurve(records, { dataset: "mnist", attack: "pgd" });
  const at = (series: string, eps: number) =>
    pts.find((p) => p.series === series && p.eps === eps)!;
  assert.ok(Math.abs(at("random", 0.1).mean - 0.2) < 1e-12);
  assert.equal(at("random", 0.1).min, 0.1);
  assert.equal(at("ceiling", 0.1).mean, 0.95);
  assert.equal(at("floor", 0.3).mean, 0.1);
  assert.equal(transferCurve(records, { dataset: "mnist", attack: "fgsm" }).length, 0);
  assert.ok(Math.abs(transferScore(records[0]!) - 0.2) < 1e-12);
});

Deno.test("agreementClaim() holds, fails or is inconclusive as the ranks say", () => {
  const up = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6].map((a, i) => record(`s${i}`, 0, 100, a, a / 2));
  const holds = agreementClaim(up);
  assert.equal(holds.verdict, "holds");
  assert.equal(holds.effect, 1);
  assert.match(holds.evidence, /MNIST @100 queries: \+1\.00 rho \(n=6\) holds: rho 1\.00/);
  // Two of 720 orders reach |rho| = 1.
  assert.ok(holds.p_adjusted! < 0.01, `p ${holds.p_adjusted}`);
  const down = up.map((r) => ({ ...r, agreement: 1 - r.agreement }));
  assert.equal(agreementClaim(down).verdict, "does not hold");
  assert.equal(agreementClaim(up.slice(0, 3)).verdict, "inconclusive");
});

function run(strategy: string, repeat: number, accuracy: number): RunResult {
  return {
    experiment: "select",
    dataset: "mnist",
    series: strategy,
    seed_size: 50,
    repeat,
    trace: [{
      round: 0,
      queries: 100,
      test_accuracy: accuracy,
      agreement: accuracy,
      batch_entropy: null,
      stopping_entropy: 0,
      kappa: null,
    }],
  };
}

Deno.test("winnersClaim() asks the accuracy winners to win on transfer too", () => {
  const repeats = [0, 1, 2, 3, 4];
  const results: Results = {
    targets: [],
    stops: [],
    runs: repeats.flatMap((
      r,
    ) => [run("random", r, 0.7 + r / 100), run("entropy", r, 0.8 + r / 50)]),
  };
  // Accuracy: entropy − random = 10 + r pp, so entropy beats random on accuracy.
  const better = repeats.flatMap((r) => [
    record("random", r, 100, 0.5, 0.1 + r / 100),
    record("entropy", r, 100, 0.5, 0.3 + r / 50),
  ]);
  const c = winnersClaim(results, better);
  assert.equal(c.verdict, "holds");
  // Transfer: entropy − random = 20 + r pp, mean 22.
  assert.ok(Math.abs(c.effect! - 22) < 1e-9, `effect ${c.effect}`);
  assert.equal(c.n, 5);
  assert.match(c.note, /Beat random on accuracy: MNIST @100, Entropy − Random/);
  const worse = better.map((r) =>
    r.strategy === "entropy" ? record("entropy", r.repeat, 100, 0.5, r.repeat / 200) : r
  );
  assert.equal(winnersClaim(results, worse).verdict, "does not hold");
  const one = winnersClaim(results, better.filter((r) => r.repeat === 0));
  assert.equal(one.verdict, "inconclusive");
  assert.match(one.note, /No strategy beats random on accuracy/);
  assert.match(one.reason, /no strategy beats random on accuracy/);
  assert.deepEqual(transferClaims(results, []), []);
  assert.deepEqual(transferClaims(results, better).map((x) => x.id), [
    "transfer_follows_agreement",
    "accuracy_winners_transfer",
  ]);
});

Deno.test("buildFigures() draws Fig. 9 per dataset and attack from transfer results", async () => {
  const results: Results = { targets: [], stops: [], runs: [] };
  const figures = await buildFigures(results, {
    transfer: [record("random", 0, 100, 0.5, 0.1), record("dfal", 0, 100, 0.5, 0.2)],
  });
  // No runs: no datasets, so no figures; with one run the dataset appears.
  assert.equal(figures.length, 0);
  const withRun = await buildFigures({ ...results, runs: [run("random", 0, 0.7)] }, {
    transfer: [record("random", 0, 100, 0.5, 0.1), record("dfal", 0, 100, 0.5, 0.2)],
  });
  const fig9 = withRun.filter((f) => f.number === 9);
  assert.deepEqual(fig9.map((f) => f.id), ["fig9-mnist-pgd"]);
  assert.match(fig9[0]!.svg, /Ceiling/);
  assert.match(fig9[0]!.svg, /DFAL/);
  // Legend symbols are opaque, not the band layer's 0.15.
  const symbols = [
    ...fig9[0]!.svg.matchAll(/role-legend-symbol[^>]*><path[^>]*opacity="([\d.]+)"/g),
  ];
  assert.ok(symbols.length >= 3, "one symbol per series");
  assert.ok(symbols.every((m) => m[1] === "1"), symbols.map((m) => m[1]).join(","));
});
