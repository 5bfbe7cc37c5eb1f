/**
 * The `active.*` params (and the matrix vars that override them) read by the `seeding`,
 * `select` and `stopping` stages, with defaults, validation (before anything runs) and parsing
 * into a {@linkcode LoopConfig}.
 *
 * A matrix var of the same short name wins over the param: `strategy`, `seeding`, `seed_size`,
 * `seed_clusters`, `batch`, `budget`, `recipe`, `labels`, `answer`, `repeat`. A seeding name may
 * carry its cluster count, `cluster-20`, so that one matrix list spans Fig. 2
 * (`[random, cluster-10, cluster-20, cluster-50]`).
 *
 * @module
 */

import type { ParamIssue, ParamValue } from "../pipeline/stage_context.ts";
import { modelSpecIssues } from "../ml/spec.ts";
import type { LabelKind, LoopConfig, Recipe } from "./loop.ts";
import type { AnswerKind } from "./oracle.ts";
import { isSeedingName, SEEDING_NAMES, type SeedingName } from "./seeding.ts";
import { isStrategyName, STRATEGY_NAMES, type StrategyName } from "./strategies.ts";

/** Defaults of the `active.*` params, by full dotted key. */
export const ACTIVE_DEFAULTS: Readonly<Record<string, ParamValue>> = {
  "active.seed": 0,
  "active.strategy": "entropy",
  "active.seeding": "random",
  "active.seed_size": 1000,
  "active.seed_clusters": 10,
  "active.batch": 1000,
  "active.budget": 20000,
  "active.rounds": null,
  "active.recipe": "incremental",
  "active.labels": "soft",
  "active.answer": "probabilities",
  "active.validation": 0,
  "active.stopping_set": 1000,
  "active.subsample": null,
  "active.clusters": 10,
  "active.candidates": null,
  "active.pool_size": 0,
  "active.test_size": 0,
  "active.model": "lenet",
  "active.train.epochs": 1,
  "active.train.batch": 32,
  "active.train.lr": 0.001,
  "active.train.patience": null,
  "active.oracle": null,
};

/** Defaults of the `stopping.*` params. */
export const STOPPING_DEFAULTS: Readonly<Record<string, ParamValue>> = {
  "stopping.alphas": [0.005, 0.01, 0.05, 0.1],
  "stopping.kappa_thresholds": [0.99],
  "stopping.kappa_window": 3,
};

/** Defaults of the `seeding.*` params (the seeding experiment, thesis Fig. 2). */
export const SEEDING_DEFAULTS: Readonly<Record<string, ParamValue>> = {
  "seeding.sizes": [1000, 2000, 3000, 4000, 5000],
};

type Params = Readonly<Record<string, ParamValue>>;

/**
 * The value of a dotted key in the params a stage received, whether they came flat
 * (`{"active.batch": 1000}`) or as subtrees (`{"active": {"batch": 1000}}`); `undefined` when absent.
 */
export function lookupParam(params: Params, key: string): ParamValue | undefined {
  if (Object.hasOwn(params, key)) return params[key];
  const segs = key.split(".");
  for (let cut = segs.length - 1; cut > 0; cut--) {
    const head = segs.slice(0, cut).join(".");
    if (!Object.hasOwn(params, head)) continue;
    let node: ParamValue | undefined = params[head];
    for (const seg of segs.slice(cut)) {
      if (node === null || typeof node !== "object" || Array.isArray(node)) return undefined;
      node = Object.hasOwn(node, seg) ? node[seg] : undefined;
      if (node === undefined) return undefined;
    }
    return node;
  }
  return undefined;
}

/** Where a value came from: the matrix var or the param key (for error messages). */
interface Sourced {
  value: ParamValue;
  field: string;
}

const VAR_OVERRIDES = [
  "strategy",
  "seeding",
  "seed_size",
  "seed_clusters",
  "batch",
  "budget",
  "recipe",
  "labels",
  "answer",
] as const;

function read(
  params: Params,
  vars: Params,
  key: string,
  defaults: Readonly<Record<string, ParamValue>>,
): Sourced {
  const short = key.slice(key.indexOf(".") + 1);
  if ((VAR_OVERRIDES as readonly string[]).includes(short) && Object.hasOwn(vars, short)) {
    return { value: vars[short]!, field: short };
  }
  const value = lookupParam(params, key);
  return { value: value === undefined ? defaults[key]! : value, field: key };
}

const show = (v: ParamValue | undefined) => JSON.stringify(v);
const isInt = (v: ParamValue, min: number): v is number =>
  typeof v === "number" && Number.isSafeInteger(v) && v >= min;

/**
 * A strategy name, accepting `NAME-thesis-code` for `NAME:thesis-code` (no colon, so that it can
 * appear in file names on every system); `null` when unknown.
 *
 * @example Usage
 * ```ts
 * import { parseStrategyName } from "./params.ts";
 * console.assert(parseStrategyName("uniform-thesis-code") === "uniform:thesis-code");
 * console.assert(parseStrategyName("entropy") === "entropy");
 * ```
 */
export function parseStrategyName(value: unknown): StrategyName | null {
  if (typeof value !== "string") return null;
  const name = value.endsWith("-thesis-code") ? `${value.slice(0, -12)}:thesis-code` : value;
  return isStrategyName(name) ? name : null;
}

/** A seeding method with its cluster count, from a name like `cluster-20`. */
export interface SeedingChoice {
  /** The method. */
  readonly name: SeedingName;
  /** N, when the name carried it. */
  readonly clusters?: number;
}

/**
 * Parses a seeding name, optionally `cluster-N`.
 *
 * @example Usage
 * ```ts
 * import { parseSeedingChoice } from "./params.ts";
 * console.assert(parseSeedingChoice("cluster-20")?.clusters === 20);
 * console.assert(parseSeedingChoice("kmeans") === null);
 * ```
 */
export function parseSeedingChoice(value: unknown): SeedingChoice | null {
  if (typeof value === "string" && value.endsWith("-thesis-code")) {
    value = `${value.slice(0, -12)}:thesis-code`;
  }
  if (isSeedingName(value)) return { name: value };
  if (typeof value !== "string") return null;
  const m = /^(cluster(?::thesis-code)?)-([1-9][0-9]*)$/.exec(value);
  if (m === null || !isSeedingName(m[1])) return null;
  return { name: m[1], clusters: Number(m[2]) };
}

/** A parsed `active.*` configuration: the loop settings plus what the stage itself needs. */
export interface ActiveSettings {
  /** The loop's settings. */
  readonly loop: LoopConfig;
  /** What the oracle answers. */
  readonly answer: AnswerKind;
  /** The substitute's model param (a name or a spec object). */
  readonly model: ParamValue;
  /** RMSProp learning rate of the substitute. */
  readonly learningRate: number;
  /** Use only the first `poolSize` training images as the pool (0: all). */
  readonly poolSize: number;
  /** Use only the first `testSize` test images (0: all). */
  readonly testSize: number;
  /** The repeat index (matrix var `repeat`, default 0), added to `active.seed`. */
  readonly repeat: number;
  /** A served target to query over HTTP instead of the in-process one (`active.oracle`). */
  readonly oracle: HttpOracleParam | null;
}

/** `active.oracle`: where the target is served and which environment variable holds the key. */
export interface HttpOracleParam {
  /** Base URL, `http://host:port` (the stage lists the host under `net:`). */
  readonly url: string;
  /** Name of the environment variable with the API key (listed under the stage's `env:`). */
  readonly keyEnv: string;
}

/**
 * Problems with an `active.oracle` value (null, or `{url, key_env}`); empty when valid. The key
 * itself may not appear: params go into the lock.
 */
export function oracleParamIssues(value: ParamValue | undefined): string[] {
  if (value === null || value === undefined) return [];
  if (typeof value !== "object" || Array.isArray(value)) {
    return [`expected null or {url, key_env}, got ${show(value)}`];
  }
  const issues: string[] = [];
  for (const field of Object.keys(value)) {
    if (field !== "url" && field !== "key_env") {
      issues.push(
        `unknown field "${field}": expected url and key_env (the key comes from the environment)`,
      );
    }
  }
  let url: URL | null = null;
  try {
    url = typeof value.url === "string" ? new URL(value.url) : null;
  } catch {
    url = null;
  }
  if (url === null || (url.protocol !== "http:" && url.protocol !== "https:")) {
    issues.push(`expected url to be an http:// or https:// URL, got ${show(value.url)}`);
  }
  if (typeof value.key_env !== "string" || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(value.key_env)) {
    issues.push(`expected key_env to be an environment variable name, got ${show(value.key_env)}`);
  }
  return issues;
}

/**
 * Problems with the `active.*` params and their matrix overrides; empty when valid.
 *
 * @example Usage
 * ```ts
 * import { activeParamIssues } from "./params.ts";
 * const issues = activeParamIssues({ "active.batch": 0 }, { strategy: "magic" });
 * console.assert(issues.map((i) => i.param).join() === "strategy,active.batch");
 * ```
 */
export function activeParamIssues(
  params: Params,
  vars: Params,
  options: { checkBudget?: boolean } = {},
): ParamIssue[] {
  const issues: ParamIssue[] = [];
  const get = (key: string) => read(params, vars, key, ACTIVE_DEFAULTS);
  const need = (key: string, ok: (v: ParamValue) => boolean, expected: string) => {
    const { value, field } = get(key);
    if (!ok(value)) {
      issues.push({ param: field, message: `expected ${expected}, got ${show(value)}` });
    }
  };
  need(
    "active.strategy",
    (v) => parseStrategyName(v) !== null,
    `one of ${
      STRATEGY_NAMES.map((n) => `"${n}"`).join(", ")
    } (":thesis-code" may be written "-thesis-code")`,
  );
  need(
    "active.seeding",
    (v) => parseSeedingChoice(v) !== null,
    `one of ${SEEDING_NAMES.map((n) => `"${n}"`).join(", ")} (optionally "cluster-N")`,
  );
  need("active.seed", (v) => isInt(v, 0), "a non-negative integer");
  need("active.seed_size", (v) => isInt(v, 1), "a positive integer");
  need("active.seed_clusters", (v) => isInt(v, 1), "a positive integer");
  need("active.batch", (v) => isInt(v, 1), "a positive integer");
  need("active.budget", (v) => isInt(v, 0), "a non-negative integer");
  need("active.rounds", (v) => v === null || isInt(v, 0), "a non-negative integer or null");
  need(
    "active.recipe",
    (v) => v === "incremental" || v === "scratch",
    `"incremental" or "scratch"`,
  );
  need("active.labels", (v) => v === "hard" || v === "soft", `"hard" or "soft"`);
  need(
    "active.answer",
    (v) => v === "label" || v === "probabilities",
    `"label" or "probabilities"`,
  );
  need("active.validation", (v) => isInt(v, 0), "a non-negative integer");
  need("active.stopping_set", (v) => isInt(v, 1), "a positive integer");
  need("active.subsample", (v) => v === null || isInt(v, 1), "a positive integer or null");
  need("active.clusters", (v) => isInt(v, 1), "a positive integer");
  need("active.candidates", (v) => v === null || isInt(v, 1), "a positive integer or null");
  need("active.pool_size", (v) => isInt(v, 0), "a non-negative integer (0: all)");
  need("active.test_size", (v) => isInt(v, 0), "a non-negative integer (0: all)");
  need("active.train.epochs", (v) => isInt(v, 0), "a non-negative integer");
  need("active.train.batch", (v) => isInt(v, 1), "a positive integer");
  need(
    "active.train.lr",
    (v) => typeof v === "number" && Number.isFinite(v) && v > 0,
    "a positive number",
  );
  need("active.train.patience", (v) => v === null || isInt(v, 0), "a non-negative integer or null");
  for (const message of oracleParamIssues(get("active.oracle").value)) {
    issues.push({ param: "active.oracle", message });
  }
  const model = get("active.model");
  for (const [field, message] of modelSpecIssues(model.value)) {
    issues.push({ param: model.field, message: field ? `${field}: ${message}` : message });
  }
  if (Object.hasOwn(vars, "repeat") && !isInt(vars.repeat!, 0)) {
    issues.push({
      param: "repeat",
      message: `expected a non-negative integer, got ${show(vars.repeat)}`,
    });
  }
  // Cross-field checks, only when the fields themselves are valid.
  const seedSize = get("active.seed_size");
  const validation = get("active.validation");
  const budget = get("active.budget");
  if (
    options.checkBudget !== false && isInt(seedSize.value, 1) && isInt(validation.value, 0) &&
    isInt(budget.value, 0)
  ) {
    const needed = seedSize.value + validation.value;
    if (budget.value < needed) {
      issues.push({
        param: budget.field,
        message: `expected at least the seed size${
          validation.value > 0 ? " plus the validation split" : ""
        } (${needed}), got ${budget.value}`,
      });
    }
  }
  issues.push(...poolIssues(get));
  const labels = get("active.labels");
  const answer = get("active.answer");
  if (labels.value === "soft" && answer.value === "label") {
    issues.push({
      param: labels.field,
      message:
        `expected "hard" when the oracle answers top-1 labels (${answer.field} is "label"), got "soft"`,
    });
  }
  return issues;
}

/** With a pool size set (`active.pool_size` > 0): a batch and a seed that fit in it. */
function poolIssues(get: (key: string) => { value: ParamValue; field: string }): ParamIssue[] {
  const pool = get("active.pool_size");
  if (!isInt(pool.value, 1)) return [];
  const issues: ParamIssue[] = [];
  const fits = `at most the pool size (${pool.field} is ${pool.value})`;
  const batch = get("active.batch");
  if (isInt(batch.value, 1) && batch.value > pool.value) {
    issues.push({ param: batch.field, message: `expected ${fits}, got ${batch.value}` });
  }
  const seed = get("active.seed_size");
  const validation = get("active.validation");
  if (isInt(seed.value, 1) && isInt(validation.value, 0)) {
    const needed = seed.value + validation.value;
    if (needed > pool.value) {
      issues.push({
        param: seed.field,
        message: `expected the seed${
          validation.value > 0 ? " plus the validation split" : ""
        } to be ${fits}, got ${needed}`,
      });
    }
  }
  return issues;
}

/**
 * Reads the `active.*` params (with matrix overrides) into settings.
 *
 * @throws {RangeError} naming the first invalid field.
 */
export function parseActiveParams(
  params: Params,
  vars: Params,
  options: { checkBudget?: boolean } = {},
): ActiveSettings {
  const issues = activeParamIssues(params, vars, options);
  if (issues.length > 0) {
    throw new RangeError(`Invalid param "${issues[0]!.param}": ${issues[0]!.message}`);
  }
  const v = (key: string) => read(params, vars, key, ACTIVE_DEFAULTS).value;
  const n = (key: string) => v(key) as number;
  const orNull = (key: string) => v(key) as number | null;
  const seeding = parseSeedingChoice(v("active.seeding"))!;
  const repeat = Object.hasOwn(vars, "repeat") ? (vars.repeat as number) : 0;
  const patience = orNull("active.train.patience");
  const rounds = orNull("active.rounds");
  const candidates = orNull("active.candidates");
  const loop: LoopConfig = {
    strategy: parseStrategyName(v("active.strategy"))!,
    seeding: seeding.name,
    seedClusters: seeding.clusters ?? n("active.seed_clusters"),
    seedSize: n("active.seed_size"),
    batchSize: n("active.batch"),
    budget: n("active.budget"),
    ...(rounds === null ? {} : { rounds }),
    recipe: v("active.recipe") as Recipe,
    labels: v("active.labels") as LabelKind,
    validationSize: n("active.validation"),
    stoppingSetSize: n("active.stopping_set"),
    scoringSubsample: orNull("active.subsample"),
    clusters: n("active.clusters"),
    ...(candidates === null ? {} : { candidates }),
    train: {
      epochs: n("active.train.epochs"),
      batchSize: n("active.train.batch"),
      ...(patience === null ? {} : { patience }),
    },
    seed: n("active.seed") + repeat,
  };
  return {
    loop,
    answer: v("active.answer") as AnswerKind,
    model: v("active.model")!,
    learningRate: n("active.train.lr"),
    poolSize: n("active.pool_size"),
    testSize: n("active.test_size"),
    repeat,
    oracle: parseOracle(v("active.oracle")),
  };
}

function parseOracle(value: ParamValue | undefined): HttpOracleParam | null {
  if (value === null || value === undefined || typeof value !== "object" || Array.isArray(value)) {
    return null;
  }
  return { url: value.url as string, keyEnv: value.key_env as string };
}

/** Problems with the `stopping.*` params; empty when valid. */
export function stoppingParamIssues(params: Params): ParamIssue[] {
  const issues: ParamIssue[] = [];
  const get = (key: string) => {
    const value = lookupParam(params, key);
    return value === undefined ? STOPPING_DEFAULTS[key]! : value;
  };
  const alphas = get("stopping.alphas");
  if (!Array.isArray(alphas) || alphas.length === 0) {
    issues.push({
      param: "stopping.alphas",
      message: `expected a non-empty list of numbers >= 0, got ${show(alphas)}`,
    });
  } else {
    alphas.forEach((a, i) => {
      if (typeof a !== "number" || !Number.isFinite(a) || a < 0) {
        issues.push({
          param: "stopping.alphas",
          message: `expected a non-negative number at index ${i}, got ${show(a)}`,
        });
      }
    });
  }
  const kappas = get("stopping.kappa_thresholds");
  if (!Array.isArray(kappas)) {
    issues.push({
      param: "stopping.kappa_thresholds",
      message: `expected a list of numbers in [0, 1], got ${show(kappas)}`,
    });
  } else {
    kappas.forEach((k, i) => {
      if (typeof k !== "number" || !(k >= 0 && k <= 1)) {
        issues.push({
          param: "stopping.kappa_thresholds",
          message: `expected a number in [0, 1] at index ${i}, got ${show(k)}`,
        });
      }
    });
  }
  const window = get("stopping.kappa_window");
  if (!isInt(window, 1)) {
    issues.push({
      param: "stopping.kappa_window",
      message: `expected a positive integer, got ${show(window)}`,
    });
  }
  return issues;
}

/** Reads the `stopping.*` params. */
export function parseStoppingParams(params: Params): {
  alphas: number[];
  kappaThresholds: number[];
  kappaWindow: number;
} {
  const issues = stoppingParamIssues(params);
  if (issues.length > 0) {
    throw new RangeError(`Invalid param "${issues[0]!.param}": ${issues[0]!.message}`);
  }
  const get = (key: string) => lookupParam(params, key) ?? STOPPING_DEFAULTS[key]!;
  return {
    alphas: get("stopping.alphas") as number[],
    kappaThresholds: get("stopping.kappa_thresholds") as number[],
    kappaWindow: get("stopping.kappa_window") as number,
  };
}

/** Problems with the `seeding.*` params; empty when valid. */
export function seedingParamIssues(params: Params): ParamIssue[] {
  const sizes = lookupParam(params, "seeding.sizes") ?? SEEDING_DEFAULTS["seeding.sizes"]!;
  if (!Array.isArray(sizes) || sizes.length === 0 || !sizes.every((s) => isInt(s, 1))) {
    return [{
      param: "seeding.sizes",
      message: `expected a non-empty list of positive integers, got ${show(sizes)}`,
    }];
  }
  const pool = lookupParam(params, "active.pool_size");
  const largest = Math.max(...(sizes as number[]));
  if (pool !== undefined && isInt(pool, 1) && largest > pool) {
    return [{
      param: "seeding.sizes",
      message:
        `expected sizes of at most the pool size (active.pool_size is ${pool}), got ${largest}`,
    }];
  }
  return [];
}

/** Reads `seeding.sizes`, ascending. */
export function parseSeedingSizes(params: Params): number[] {
  const issues = seedingParamIssues(params);
  if (issues.length > 0) {
    throw new RangeError(`Invalid param "${issues[0]!.param}": ${issues[0]!.message}`);
  }
  const sizes =
    (lookupParam(params, "seeding.sizes") ?? SEEDING_DEFAULTS["seeding.sizes"]!) as number[];
  return [...sizes].sort((a, b) => a - b);
}
