/**
 * The work model of `bench/grid.ts`: what each pipeline instance predicts, trains on, attacks
 * and selects, counted from its params (pure; no timing). `bench/grid.ts` prices it with the
 * per-image costs it measures.
 *
 * @module
 */

import type { Instance } from "../lib/pipeline/mod.ts";
import { needsPerturbations, needsQueriedRows, type StrategyName } from "../lib/active/mod.ts";
import { parseTransferParams } from "../lib/adversarial/params.ts";

/** Images in each dataset's train split (the pool): MNIST and Fashion-MNIST. */
export const POOL = 60000;
/** Test images of each dataset. */
export const TEST = 10000;

/** What one instance does, in images. */
export interface Work {
  /** Images predicted (forward passes). */
  infer: number;
  /** Samples trained on, at batch 1, 32 (the substitute's) and 64 (the target's). */
  train1: number;
  train32: number;
  train64: number;
  /** Images DeepFool runs on (DFAL's scoring). */
  deepfool: number;
  /** Image input gradients (FGSM: 1 per image, PGD: one per step). */
  grad: number;
  /** Selections, by strategy. */
  selections: Record<string, number>;
}

type Tree = Record<string, unknown>;
const num = (tree: Tree, key: string, fallback: number): number =>
  typeof tree[key] === "number" ? tree[key] as number : fallback;

/** A {@linkcode Work} with nothing in it but `part`. */
export function work(part: Partial<Work>): Work {
  return {
    infer: 0,
    train1: 0,
    train32: 0,
    train64: 0,
    deepfool: 0,
    grad: 0,
    selections: {},
    ...part,
  };
}

/** The images one active-learning run (select / seedsize) predicts, trains on and attacks. */
function loopWork(active: Tree, vars: Tree): Work {
  const seed = num(vars, "seed_size", num(active, "seed_size", 1000));
  const budget = num(vars, "budget", num(active, "budget", 20000));
  const batch = num(active, "batch", 1000);
  const pool = num(active, "pool_size", 0) || POOL;
  const test = num(active, "test_size", 0) || TEST;
  const stop = num(active, "stopping_set", 1000);
  const train = (active.train ?? {}) as Tree;
  const epochs = num(train, "epochs", 1);
  const strategy = String(vars.strategy ?? active.strategy ?? "entropy") as StrategyName;
  const dfalSubsample = num(active, "dfal_subsample", Infinity);
  const scoring = num(active, "subsample", Infinity); // the scoring subsample of the open pool
  const rounds = Math.max(0, Math.ceil((budget - seed) / batch));
  const scratch = active.recipe === "scratch";
  let infer = seed + test + stop; // oracle on the seed, then round 0's evaluation
  let trainN = seed * epochs;
  let deepfool = 0;
  for (let r = 1; r <= rounds; r++) {
    const queried = seed + (r - 1) * batch;
    const open = Math.min(scoring, pool - queried);
    // Scoring: the open pool (or its subsample), plus the queried images for the strategies
    // that read them.
    const scored = strategy === "random" ? 0 : open + (needsQueriedRows(strategy) ? queried : 0);
    infer += scored + batch + test + stop;
    if (needsPerturbations(strategy)) deepfool += Math.min(dfalSubsample, open);
    trainN += (scratch ? queried + batch : batch) * epochs;
  }
  return work({ infer, train32: trainN, deepfool, selections: { [strategy]: rounds } });
}

/**
 * A transfer instance crafts on its substitute (`side` "substitute"); a ceiling instance crafts
 * on the target and adds the floor (`side` "target"), once per dataset.
 */
function transferWork(params: Tree, side: "substitute" | "target"): Work {
  const { testSize, config } = parseTransferParams(
    params as Parameters<typeof parseTransferParams>[0],
  );
  const n = Math.min(testSize, TEST);
  // transfer: both models classify the clean images; per attack the substitute crafts (its own
  // labels first, then the gradients) and two passes count transfer and white box.
  // ceiling: the target classifies the clean images; per eps the floor is one pass, per attack it
  // crafts and one pass counts the ceiling.
  const sub = side === "substitute";
  let infer = (sub ? 2 : 1) * n;
  let grad = 0;
  for (const _eps of config.eps) {
    if (!sub) infer += n;
    for (const attack of config.attacks) {
      infer += n + (sub ? 2 : 1) * n;
      grad += n * (attack === "fgsm" ? 1 : config.pgdSteps);
    }
  }
  return work({ infer, grad });
}

/** A pool_bug instance: the target answers the pool, one whole-pool fit, both score the test set. */
function poolBugWork(p: Tree): Work {
  const pool = num(p, "pool_bug.train_size", 0) || POOL;
  const test = num(p, "pool_bug.test_size", 0) || TEST;
  const epochs = num(p, "pool_bug.epochs", 1);
  const batch = num(p, "pool_bug.batch", 1);
  const samples = epochs * pool;
  const train = batch === 1 ? { train1: samples } : batch <= 32 ? { train32: samples } : {
    train64: samples,
  };
  return work({ infer: pool + 2 * test, ...train });
}

/**
 * The strategies the thesis ran (DESIGN §3: its nine); Quarry's paper profile adds ActiveThief's
 * k-center, DFAL and DFAL+k-center, and the transfer attacks.
 */
export const THESIS_STRATEGIES: readonly string[] = [
  "random",
  "least-confidence",
  "margin",
  "entropy",
  "uniform",
  "clustering",
  "entropy+clustering",
  "entropy+uniform",
  "entropy+clustering+uniform",
];

/**
 * Whether an instance belongs to the grid as the thesis drew it (issue 13's 11 core-hours):
 * the targets, the seeding runs, the seed-size runs and the selection runs of its nine
 * strategies; not the transfer attacks, their ceiling, k-center, DFAL or pool_bug.
 */
export function inThesisGrid(inst: Instance): boolean {
  if (inst.stage === "select") return THESIS_STRATEGIES.includes(String(inst.vars.strategy));
  return inst.stage === "target" || inst.stage === "seeding" || inst.stage === "seedsize";
}

/** The stages {@linkcode instanceWork} counts. */
export const COUNTED_STAGES = [
  "target",
  "seeding",
  "select",
  "seedsize",
  "transfer",
  "ceiling",
  "pool_bug",
] as const;

/** The images an instance predicts and trains on, by stage; null for the stages not counted. */
export function instanceWork(inst: Instance): Work | null {
  const p = inst.params as Tree;
  const tree = (key: string) => (p[key] ?? {}) as Tree;
  switch (inst.stage) {
    case "target": {
      const epochs = num(p, "target.epochs", 10);
      const train = num(p, "target.train_size", 0) || POOL;
      const test = num(p, "target.test_size", 0) || TEST;
      return work({ infer: test, train64: epochs * train });
    }
    case "select":
    case "seedsize":
      return loopWork(tree("active"), inst.vars as Tree);
    case "transfer":
      return transferWork(p, "substitute");
    case "ceiling":
      return transferWork(p, "target");
    case "pool_bug":
      return poolBugWork(p);
    case "seeding": {
      const active = tree("active");
      const sizes = (p["seeding.sizes"] ?? []) as number[];
      const test = num(active, "test_size", 0) || TEST;
      const stop = num(active, "stopping_set", 1000);
      const epochs = num((active.train ?? {}) as Tree, "epochs", 1);
      const cluster = String(inst.vars.seeding ?? "random") !== "random";
      const largest = Math.max(0, ...sizes);
      return work({
        infer: (cluster ? POOL : 0) + largest + sizes.length * (test + stop),
        train32: sizes.reduce((a, s) => a + s * epochs, 0),
      });
    }
    default:
      return null;
  }
}
