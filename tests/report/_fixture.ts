/**
 * Hand-made results for the report tests: deterministic synthetic traces shaped like the
 * thesis's experiments (two datasets, a few strategies, two repeats), small enough to render fast.
 *
 * @module
 */

import type { TraceRow } from "../../lib/active/trace.ts";
import type { Results, RunResult, StopResult } from "../../lib/report/results.ts";
import { createRng } from "../../lib/util/random.ts";

/** A learning curve that rises from `start` towards `end` over `rounds` rounds of `batch`. */
export function makeTrace(
  options: {
    seed: number;
    start: number;
    end: number;
    rounds: number;
    batch: number;
    seedSize: number;
  },
): TraceRow[] {
  const rng = createRng(options.seed);
  const rows: TraceRow[] = [];
  for (let round = 0; round <= options.rounds; round++) {
    const f = options.rounds === 0 ? 0 : 1 - Math.exp(-3 * round / options.rounds);
    const acc = options.start + (options.end - options.start) * f + 0.002 * (rng.next() - 0.5);
    rows.push({
      round,
      queries: options.seedSize + round * options.batch,
      test_accuracy: Math.round(acc * 1e4) / 1e4,
      agreement: Math.round((acc + 0.005) * 1e4) / 1e4,
      batch_entropy: Math.round((0.9 * Math.exp(-round / 3) + 0.01) * 1e4) / 1e4,
      stopping_entropy: Math.round((0.8 * Math.exp(-round / 3)) * 1e4) / 1e4,
      kappa: round === 0 ? null : Math.round((1 - 0.5 * Math.exp(-round / 2)) * 1e4) / 1e4,
    });
  }
  return rows;
}

const STRATEGY_END: Record<string, number> = {
  random: 0.93,
  least_confidence: 0.955,
  margin: 0.956,
  entropy: 0.957,
  uniform: 0.952,
  clustering: 0.962,
  entropy_clustering: 0.975,
  entropy_uniform: 0.972,
  entropy_clustering_uniform: 0.965,
};

/** Synthetic results for all experiments; `repeats` repeats each. */
export function fixtureResults(repeats = 2): Results {
  const runs: RunResult[] = [];
  const stops: StopResult[] = [];
  let seed = 1;
  for (const [dataset, offset] of [["mnist", 0], ["fashion-mnist", -0.12]] as const) {
    for (let repeat = 0; repeat < repeats; repeat++) {
      for (const size of [1000, 2000, 3000]) {
        const seedAcc: Record<string, number> = {
          random: dataset === "mnist" ? 0.9 : 0.7,
          "cluster-10": dataset === "mnist" ? 0.85 : 0.72,
          "cluster-20": dataset === "mnist" ? 0.86 : 0.74,
          "cluster-50": dataset === "mnist" ? 0.88 : 0.76,
        };
        for (const [series, a] of Object.entries(seedAcc)) {
          const acc = a + size / 1e5;
          runs.push({
            experiment: "seeding",
            dataset,
            series,
            seed_size: size,
            repeat,
            trace: makeTrace({
              seed: seed++,
              start: acc,
              end: acc,
              rounds: 0,
              batch: 0,
              seedSize: size,
            }),
          });
        }
        runs.push({
          experiment: "seed_size",
          dataset,
          series: "entropy",
          seed_size: size,
          repeat,
          trace: makeTrace({
            seed: seed++,
            start: 0.85 + offset,
            end: 0.96 + offset,
            rounds: (6000 - size) / 1000,
            batch: 1000,
            seedSize: size,
          }),
        });
      }
      for (const [series, end] of Object.entries(STRATEGY_END)) {
        runs.push({
          experiment: "select",
          dataset,
          series,
          seed_size: 1000,
          repeat,
          trace: makeTrace({
            seed: seed++,
            start: 0.9 + offset,
            end: end + offset,
            rounds: 7,
            batch: 1000,
            seedSize: 1000,
          }),
        });
      }
      for (
        const [alpha, q, acc] of [[0.005, 7000, 0.97], [0.01, 6000, 0.965], [0.05, 4000, 0.95], [
          0.1,
          3000,
          0.94,
        ]]
      ) {
        stops.push({
          dataset,
          alpha: alpha!,
          rule: "batch-entropy",
          repeat,
          stopped: alpha !== 0.005,
          queries: q! + 1000 * repeat * (alpha === 0.1 ? 0 : 1),
          test_accuracy: acc! + offset + 0.001 * repeat,
          agreement: acc! + offset + 0.004,
        });
      }
    }
  }
  return {
    targets: [{ dataset: "mnist", test_accuracy: 0.9905, test_size: 10000 }, {
      dataset: "fashion-mnist",
      test_accuracy: 0.9071,
      test_size: 10000,
    }],
    runs,
    stops,
  };
}
