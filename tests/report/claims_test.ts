import { deepEqual, equal } from "node:assert/strict";
import {
  DEFAULT_THRESHOLDS,
  evaluateClaims,
  judgeClose,
  judgeGreater,
  type Results,
  type RunResult,
} from "../../lib/report/mod.ts";
import type { TraceRow } from "../../lib/active/trace.ts";

const T = DEFAULT_THRESHOLDS.accuracy;

Deno.test("judgeGreater() holds, does not hold or is inconclusive by the documented rules", () => {
  equal(judgeGreater([1.0, 1.2, 0.9], T).verdict, "holds");
  // Clearly reversed.
  equal(judgeGreater([-1.0, -1.2, -0.9], T).verdict, "does not hold");
  // Positive but negligible with a tight spread: A's edge is too small to matter.
  equal(judgeGreater([0.05, 0.06, 0.04], T).verdict, "does not hold");
  // Noisy: the interval straddles zero.
  equal(judgeGreater([2, -1.5, 1], T).verdict, "inconclusive");
  // One repeat: only a large effect decides.
  equal(judgeGreater([5.5], T).verdict, "holds");
  equal(judgeGreater([4.9], T).verdict, "inconclusive");
  equal(judgeGreater([-5.5], T).verdict, "does not hold");
  deepEqual(judgeGreater([], T), { verdict: "inconclusive", effect: null, spread: null, n: 0 });
  equal(judgeGreater([5.5], T).spread, null);
});

Deno.test("judgeClose() needs repeats to say two things are equal", () => {
  equal(judgeClose([0.1, -0.1, 0.2], T).verdict, "holds");
  equal(judgeClose([3, 3.2, 2.9], T).verdict, "does not hold");
  equal(judgeClose([0.5, 2.5], T).verdict, "inconclusive");
  equal(judgeClose([0.1], T).verdict, "inconclusive");
  equal(judgeClose([-5.5], T).verdict, "does not hold");
  equal(judgeClose([-2.5], T).verdict, "inconclusive");
});

function flat(acc: number, queries: number[]): TraceRow[] {
  return queries.map((q, round) => ({
    round,
    queries: q,
    test_accuracy: acc,
    agreement: acc,
    batch_entropy: 0.1,
    stopping_entropy: 0.1,
    kappa: round === 0 ? null : 1,
  }));
}

function selectRuns(dataset: string, accs: Record<string, number[]>): RunResult[] {
  return Object.entries(accs).flatMap(([series, perRepeat]) =>
    perRepeat.map((acc, repeat) => ({
      experiment: "select" as const,
      dataset,
      series,
      seed_size: 1000,
      repeat,
      trace: flat(acc, [1000, 2000, 3000]),
    }))
  );
}

function claim(results: Results, id: string) {
  const c = evaluateClaims(results).find((x) => x.id === id);
  if (!c) throw new Error(`no claim ${id}`);
  return c;
}

Deno.test("evaluateClaims() uncertainty_beats_random: holds, does not hold, inconclusive", () => {
  const holds: Results = {
    targets: [],
    stops: [],
    runs: selectRuns("mnist", {
      random: [0.90, 0.91, 0.90],
      least_confidence: [0.95, 0.95, 0.96],
      margin: [0.95, 0.96, 0.95],
      entropy: [0.96, 0.95, 0.95],
    }),
  };
  const c = claim(holds, "uncertainty_beats_random");
  equal(c.verdict, "holds");
  equal(c.unit, "pp");
  equal(typeof c.effect, "number");
  equal(typeof c.spread, "number");
  const fails: Results = {
    ...holds,
    runs: selectRuns("mnist", {
      random: [0.90, 0.91, 0.90],
      least_confidence: [0.95, 0.95, 0.96],
      margin: [0.86, 0.86, 0.87], // worse than random
      entropy: [0.96, 0.95, 0.95],
    }),
  };
  equal(claim(fails, "uncertainty_beats_random").verdict, "does not hold");
  const oneRepeat: Results = {
    ...holds,
    runs: selectRuns("mnist", {
      random: [0.90],
      least_confidence: [0.91],
      margin: [0.95],
      entropy: [0.95],
    }),
  };
  const c1 = claim(oneRepeat, "uncertainty_beats_random");
  equal(c1.verdict, "inconclusive");
  equal(c1.spread, null);
  const missing: Results = { ...holds, runs: selectRuns("mnist", { random: [0.9] }) };
  equal(claim(missing, "uncertainty_beats_random").verdict, "inconclusive");
});

Deno.test("evaluateClaims() triple_worse_than_pairs and entropy_clustering_best", () => {
  const results: Results = {
    targets: [],
    stops: [],
    runs: selectRuns("fashion-mnist", {
      random: [0.80, 0.80],
      entropy_clustering: [0.86, 0.861],
      entropy_uniform: [0.855, 0.856],
      entropy_clustering_uniform: [0.83, 0.831],
    }),
  };
  equal(claim(results, "triple_worse_than_pairs").verdict, "holds");
  equal(claim(results, "entropy_clustering_best").verdict, "holds");
  const reversed: Results = {
    ...results,
    runs: selectRuns("fashion-mnist", {
      random: [0.80, 0.80],
      entropy_clustering: [0.83, 0.831],
      entropy_uniform: [0.855, 0.856],
      entropy_clustering_uniform: [0.86, 0.861],
    }),
  };
  equal(claim(reversed, "triple_worse_than_pairs").verdict, "does not hold");
  equal(claim(reversed, "entropy_clustering_best").verdict, "does not hold");
});

Deno.test("evaluateClaims() seeding claims per dataset", () => {
  const runs: RunResult[] = [];
  const acc: Record<string, Record<string, number>> = {
    mnist: { random: 0.9, "cluster-10": 0.8, "cluster-20": 0.82, "cluster-50": 0.85 },
    "fashion-mnist": { random: 0.7, "cluster-10": 0.72, "cluster-20": 0.74, "cluster-50": 0.76 },
  };
  for (const [dataset, bySeries] of Object.entries(acc)) {
    for (const [series, a] of Object.entries(bySeries)) {
      for (const repeat of [0, 1, 2]) {
        for (const size of [1000, 2000]) {
          runs.push({
            experiment: "seeding",
            dataset,
            series,
            seed_size: size,
            repeat,
            trace: flat(a + 0.001 * repeat, [size]),
          });
        }
      }
    }
  }
  const results: Results = { targets: [], stops: [], runs };
  equal(claim(results, "more_clusters_seed_better").verdict, "holds");
  equal(claim(results, "random_seeding_beats_cluster_on_mnist_only").verdict, "holds");
  // Only MNIST: the claim is about both datasets, so it cannot hold.
  const mnistOnly = runs.filter((r) => r.dataset === "mnist");
  const partial = claim(
    { ...results, runs: mnistOnly },
    "random_seeding_beats_cluster_on_mnist_only",
  );
  equal(partial.verdict, "inconclusive");
  equal(typeof partial.effect, "number", "effect of the comparison that has data");
  // Fashion-MNIST where random wins too: the second half fails.
  const flipped = runs.map((r) =>
    r.dataset === "fashion-mnist" && r.series === "random"
      ? { ...r, trace: flat(0.9, [r.seed_size]) }
      : r
  );
  equal(
    claim({ ...results, runs: flipped }, "random_seeding_beats_cluster_on_mnist_only").verdict,
    "does not hold",
  );
});

Deno.test("evaluateClaims() seed size and alpha claims", () => {
  const runs: RunResult[] = [];
  for (const repeat of [0, 1, 2]) {
    for (const size of [1000, 2000, 3000]) {
      const qs = [];
      for (let q = size; q <= 5000; q += 1000) qs.push(q);
      runs.push({
        experiment: "seed_size",
        dataset: "mnist",
        series: "entropy",
        seed_size: size,
        repeat,
        trace: flat(0.95 + 0.0005 * (size / 1000) + 0.0001 * repeat, qs),
      });
    }
  }
  const stops = [0.005, 0.01, 0.05, 0.1].flatMap((alpha, i) =>
    [0, 1, 2].map((repeat) => ({
      dataset: "mnist",
      alpha,
      rule: "batch-entropy",
      repeat,
      stopped: true,
      queries: 9000 - 2000 * i + 100 * repeat,
      test_accuracy: 0.97 - 0.01 * i + 0.0005 * repeat,
      agreement: 0.97,
    }))
  );
  const results: Results = {
    targets: [{ dataset: "mnist", test_accuracy: 0.99 }],
    runs,
    stops,
  };
  equal(claim(results, "seed_size_hardly_matters").verdict, "holds");
  const alpha = claim(results, "higher_alpha_stops_earlier_lower_accuracy");
  equal(alpha.verdict, "holds");
  const reversed = stops.map((s) => ({ ...s, queries: 20000 - s.queries }));
  equal(
    claim({ ...results, stops: reversed }, "higher_alpha_stops_earlier_lower_accuracy").verdict,
    "does not hold",
  );
  // Seed size matters a lot: 3 points between the extremes.
  const spread = runs.map((r) => ({
    ...r,
    trace: r.trace.map((row) => ({ ...row, test_accuracy: 0.9 + 0.015 * (r.seed_size / 1000) })),
  }));
  equal(claim({ ...results, runs: spread }, "seed_size_hardly_matters").verdict, "does not hold");
});

Deno.test("evaluateClaims() returns every thesis claim with the claims.json fields", () => {
  const claims = evaluateClaims({ targets: [], runs: [], stops: [] });
  ok8(claims.length);
  for (const c of claims) {
    deepEqual(Object.keys(c).sort(), [
      "claim",
      "effect",
      "evidence",
      "id",
      "spread",
      "unit",
      "verdict",
    ]);
    equal(c.verdict, "inconclusive");
  }
});

function ok8(n: number) {
  equal(n >= 8, true, `at least eight claims, got ${n}`);
}
