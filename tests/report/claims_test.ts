/**
 * Every claim of the table on hand-made repeats that must hold, must not hold, and must be
 * inconclusive (one repeat always is; so is noise the repeats cannot see through).
 */
import { deepEqual, equal, ok } from "node:assert/strict";
import {
  CLAIMS,
  evaluateClaims,
  type Results,
  type RunResult,
  type StopResult,
} from "../../lib/report/mod.ts";
import type { TraceRow } from "../../lib/active/trace.ts";

/** Per-repeat jitter: a pattern rotated by `shift`, so two series never differ by a constant. */
const PATTERN = [0, 1, -1, 0.5, -0.5, 0.25, -0.25];
const jitter = (repeat: number, shift: number) => PATTERN[(repeat + shift) % PATTERN.length]!;

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

/** The thesis's ordering of strategies (Figs. 3–5), accuracy at the end. */
const THESIS_WORLD: Record<string, number> = {
  random: 0.9,
  least_confidence: 0.95,
  margin: 0.952,
  entropy: 0.951,
  uniform: 0.94,
  clustering: 0.96,
  entropy_clustering: 0.975,
  entropy_uniform: 0.972,
  entropy_clustering_uniform: 0.965,
};

function selectRuns(
  accs: Record<string, number>,
  repeats: number,
  noise: number,
  dataset = "mnist",
): RunResult[] {
  return Object.entries(accs).flatMap(([series, acc], k) =>
    Array.from({ length: repeats }, (_, repeat) => ({
      experiment: "select" as const,
      dataset,
      series,
      seed_size: 1000,
      repeat,
      trace: flat(acc + noise * jitter(repeat, k), [1000, 2000, 3000]),
    }))
  );
}

function results(runs: RunResult[], stops: StopResult[] = []): Results {
  return { targets: [], runs, stops };
}

function verdict(r: Results, id: string): string {
  const c = evaluateClaims(r).find((x) => x.id === id);
  if (!c) throw new Error(`no claim ${id}`);
  return c.verdict;
}

const GREATER_STRATEGY_CLAIMS = [
  "uncertainty_beats_random",
  "uniform_clustering_beat_random",
  "entropy_beats_uniform",
  "clustering_beats_entropy_uniform",
  "entropy_clustering_best",
  "entropy_uniform_close_second",
  "triple_worse_than_pairs",
];

Deno.test("strategy claims hold in the thesis's world and fail in the reversed one", () => {
  const world = results(selectRuns(THESIS_WORLD, 5, 0.001));
  const reversed = results(selectRuns(
    Object.fromEntries(Object.entries(THESIS_WORLD).map(([s, a]) => [s, 1.9 - a])),
    5,
    0.001,
  ));
  for (const id of [...GREATER_STRATEGY_CLAIMS, "uncertainty_strategies_similar"]) {
    equal(verdict(world, id), "holds", id);
  }
  for (const id of GREATER_STRATEGY_CLAIMS) equal(verdict(reversed, id), "does not hold", id);
});

Deno.test("strategy claims: one repeat and heavy noise are inconclusive", () => {
  const one = results(selectRuns(THESIS_WORLD, 1, 0));
  const noisy = results(selectRuns(THESIS_WORLD, 5, 0.04));
  for (const id of [...GREATER_STRATEGY_CLAIMS, "uncertainty_strategies_similar"]) {
    equal(verdict(one, id), "inconclusive", `${id}, n = 1`);
    equal(verdict(noisy, id), "inconclusive", `${id}, noise`);
  }
  const c = evaluateClaims(one).find((x) => x.id === "entropy_clustering_best")!;
  equal(c.n, 1);
  ok(c.reason.includes("n = 1"), c.reason);
  equal(verdict(results([]), "uncertainty_beats_random"), "inconclusive", "no data");
});

Deno.test("uncertainty_strategies_similar does not hold when they are 3 points apart", () => {
  const apart = { ...THESIS_WORLD, least_confidence: 0.92, margin: 0.95, entropy: 0.98 };
  const c = evaluateClaims(results(selectRuns(apart, 5, 0.001)))
    .find((x) => x.id === "uncertainty_strategies_similar")!;
  equal(c.verdict, "does not hold");
  equal(c.tost?.margin, 1, "the margin is written into the entry");
  ok(c.tost!.p_outside_adjusted! < 0.05);
});

Deno.test("entropy_uniform_close_second fails when entropy+uniform is 3 points behind", () => {
  const behind = { ...THESIS_WORLD, entropy_uniform: 0.945, entropy_clustering: 0.975 };
  equal(
    verdict(results(selectRuns(behind, 5, 0.001)), "entropy_uniform_close_second"),
    "does not hold",
  );
});

function seedingRuns(
  acc: Record<string, Record<string, number>>,
  repeats: number,
  noise: number,
): RunResult[] {
  const runs: RunResult[] = [];
  for (const [dataset, bySeries] of Object.entries(acc)) {
    Object.entries(bySeries).forEach(([series, a], k) => {
      for (let repeat = 0; repeat < repeats; repeat++) {
        for (const size of [1000, 2000]) {
          runs.push({
            experiment: "seeding",
            dataset,
            series,
            seed_size: size,
            repeat,
            trace: flat(a + noise * jitter(repeat, k), [size]),
          });
        }
      }
    });
  }
  return runs;
}

const SEEDING_WORLD = {
  mnist: { random: 0.9, "cluster-10": 0.8, "cluster-20": 0.82, "cluster-50": 0.85 },
  "fashion-mnist": { random: 0.7, "cluster-10": 0.72, "cluster-20": 0.74, "cluster-50": 0.76 },
};

Deno.test("seeding claims hold, fail and are inconclusive", () => {
  const ids = ["more_clusters_seed_better", "random_seeding_beats_cluster_on_mnist_only"];
  const world = results(seedingRuns(SEEDING_WORLD, 5, 0.002));
  for (const id of ids) equal(verdict(world, id), "holds", id);
  const flipped = results(seedingRuns(
    {
      mnist: { random: 0.8, "cluster-10": 0.88, "cluster-20": 0.86, "cluster-50": 0.84 },
      "fashion-mnist": { random: 0.8, "cluster-10": 0.72, "cluster-20": 0.7, "cluster-50": 0.68 },
    },
    5,
    0.002,
  ));
  for (const id of ids) equal(verdict(flipped, id), "does not hold", id);
  for (const id of ids) {
    equal(verdict(results(seedingRuns(SEEDING_WORLD, 1, 0)), id), "inconclusive", id);
  }
  // Only MNIST: the claim is about both datasets.
  const mnistOnly = results(seedingRuns({ mnist: SEEDING_WORLD.mnist }, 5, 0.002));
  equal(verdict(mnistOnly, "random_seeding_beats_cluster_on_mnist_only"), "inconclusive");
});

Deno.test("selection_beats_seeding holds, fails and is inconclusive", () => {
  const seed = (acc: number, repeats: number) =>
    seedingRuns({ mnist: { random: acc } }, repeats, 0.002);
  const select = (repeats: number) => selectRuns({ entropy: 0.95, margin: 0.95 }, repeats, 0.001);
  equal(
    verdict(results([...seed(0.9, 5), ...select(5)]), "selection_beats_seeding"),
    "holds",
  );
  equal(
    verdict(results([...seed(0.98, 5), ...select(5)]), "selection_beats_seeding"),
    "does not hold",
  );
  equal(
    verdict(results([...seed(0.9, 1), ...select(1)]), "selection_beats_seeding"),
    "inconclusive",
  );
});

function seedSizeRuns(slopePerK: number, repeats: number, noise: number): RunResult[] {
  const runs: RunResult[] = [];
  for (let repeat = 0; repeat < repeats; repeat++) {
    [1000, 2000, 3000, 4000, 5000].forEach((size, k) => {
      const qs = [];
      for (let q = size; q <= 10000; q += 1000) qs.push(q);
      const acc = 0.95 + slopePerK * (size / 1000) / 100 + noise * jitter(repeat, k);
      runs.push({
        experiment: "seed_size",
        dataset: "mnist",
        series: "entropy",
        seed_size: size,
        repeat,
        trace: flat(acc, qs),
      });
    });
  }
  return runs;
}

Deno.test("seed_size_hardly_matters: a slope test against ±0.25 pp per 1k", () => {
  const id = "seed_size_hardly_matters";
  const flatOnes = evaluateClaims(results(seedSizeRuns(0, 5, 0.0005))).find((c) => c.id === id)!;
  equal(flatOnes.verdict, "holds");
  equal(flatOnes.unit, "pp per 1k seed images");
  equal(flatOnes.tost?.margin, 0.25);
  equal(verdict(results(seedSizeRuns(1.5, 5, 0.0005)), id), "does not hold");
  equal(verdict(results(seedSizeRuns(0, 1, 0)), id), "inconclusive");
  // Noise the five repeats cannot average out: neither equivalence nor its opposite is shown.
  equal(verdict(results(seedSizeRuns(0, 5, 0.02)), id), "inconclusive");
});

function stops(
  f: (alpha: number, i: number, repeat: number) => { queries: number; acc: number },
  repeats: number,
): StopResult[] {
  return [0.005, 0.01, 0.05, 0.1].flatMap((alpha, i) =>
    Array.from({ length: repeats }, (_, repeat) => {
      const { queries, acc } = f(alpha, i, repeat);
      return {
        dataset: "mnist",
        alpha,
        rule: "batch-entropy",
        strategy: "entropy",
        repeat,
        stopped: true,
        queries,
        test_accuracy: acc,
        agreement: acc,
      };
    })
  );
}

Deno.test("higher_alpha_stops_earlier_lower_accuracy per adjacent pair of alphas", () => {
  const id = "higher_alpha_stops_earlier_lower_accuracy";
  const ordered = stops((_, i, r) => ({
    queries: 9000 - 2000 * i + 100 * jitter(r, i),
    acc: 0.97 - 0.01 * i + 0.001 * jitter(r, i),
  }), 5);
  const c = evaluateClaims(results([], ordered)).find((x) => x.id === id)!;
  equal(c.verdict, "holds");
  equal(c.comparisons.length, 6, "3 adjacent pairs × (queries, accuracy)");
  ok(c.note.includes("by construction"));
  const reversed = ordered.map((s) => ({ ...s, test_accuracy: 1.9 - s.test_accuracy }));
  equal(verdict(results([], reversed), id), "does not hold");
  const one = stops((_, i) => ({ queries: 9000 - 2000 * i, acc: 0.97 - 0.01 * i }), 1);
  equal(verdict(results([], one), id), "inconclusive");
  // Stops at the same round in every repeat (equal queries): the sign-test rule applies.
  const tied = stops((_, i, r) => ({
    queries: 9000 - 2000 * i,
    acc: 0.97 - 0.01 * i + 0.001 * jitter(r, i),
  }), 5);
  const t = evaluateClaims(results([], tied)).find((x) => x.id === id)!;
  ok(t.comparisons.filter((x) => x.unit === "queries").every((x) => x.zero_variance));
  equal(t.verdict, "inconclusive", "sign test at n = 5 (p = 0.0625) cannot decide alone");
});

Deno.test("stop_accuracy_near_full_data compares with the target on the same test images", () => {
  const id = "stop_accuracy_near_full_data";
  const entropyRuns = (target: number | undefined) =>
    Array.from({ length: 5 }, (_, repeat) => ({
      experiment: "select" as const,
      dataset: "mnist",
      series: "entropy",
      seed_size: 1000,
      repeat,
      trace: flat(0.97, [1000, 2000]),
      ...(target === undefined ? {} : { target_test_accuracy: target }),
    }));
  const near = stops(
    (_, i, r) => ({ queries: 9000 - 1000 * i, acc: 0.975 + 0.001 * jitter(r, i) }),
    5,
  );
  const holds = evaluateClaims(results(entropyRuns(0.98), near)).find((x) => x.id === id)!;
  equal(holds.verdict, "holds");
  equal(holds.tost?.margin, 2);
  equal(verdict(results(entropyRuns(0.93), near), id), "does not hold");
  // Without the target's accuracy on the same test images there is nothing like-for-like.
  const none = evaluateClaims(results(entropyRuns(undefined), near)).find((x) => x.id === id)!;
  equal(none.verdict, "inconclusive");
  equal(none.n, 0);
});

Deno.test("evaluateClaims() returns every claim of the table with the claims.json fields", () => {
  const claims = evaluateClaims({ targets: [], runs: [], stops: [] });
  deepEqual(claims.map((c) => c.id), CLAIMS.map((c) => c.id));
  ok(claims.length >= 14);
  for (const c of claims) {
    deepEqual(Object.keys(c).sort(), [
      "claim",
      "comparisons",
      "effect",
      "evidence",
      "id",
      "interval",
      "n",
      "note",
      "p_adjusted",
      "reason",
      "spread",
      "test",
      "tost",
      "unit",
      "verdict",
    ]);
    equal(c.verdict, "inconclusive");
  }
});
