/**
 * The `transfer.*` params of the transfer stage, with defaults and checks that name the field.
 *
 * @module
 */

import type { ParamIssue, ParamValue } from "../pipeline/stage_context.ts";
import { TRANSFER_ATTACKS, type TransferAttack, type TransferConfig } from "./transfer.ts";

/** Defaults of the `transfer.*` params, by full dotted key. */
export const TRANSFER_DEFAULTS: Readonly<Record<string, ParamValue>> = {
  "transfer.test_size": 1000,
  "transfer.eps": [0.05, 0.1, 0.2, 0.3],
  "transfer.attacks": ["fgsm", "pgd"],
  "transfer.pgd_steps": 10,
  "transfer.pgd_step_ratio": 0.25,
  "transfer.seed": 0,
};

type Params = Readonly<Record<string, ParamValue>>;

function get(params: Params, key: string): ParamValue {
  if (Object.hasOwn(params, key)) return params[key]!;
  const tree = params["transfer"];
  const short = key.slice("transfer.".length);
  if (
    tree !== null && typeof tree === "object" && !Array.isArray(tree) && Object.hasOwn(tree, short)
  ) {
    return tree[short]!;
  }
  return TRANSFER_DEFAULTS[key]!;
}

const isInt = (v: ParamValue, min: number): v is number =>
  typeof v === "number" && Number.isSafeInteger(v) && v >= min;

/** Problems with the `transfer.*` params; empty when valid. */
export function transferParamIssues(params: Params): ParamIssue[] {
  const issues: ParamIssue[] = [];
  const need = (key: string, ok: (v: ParamValue) => boolean, expected: string) => {
    const value = get(params, key);
    if (!ok(value)) {
      issues.push({ param: key, message: `expected ${expected}, got ${JSON.stringify(value)}` });
    }
  };
  need("transfer.test_size", (v) => isInt(v, 1), "a positive integer");
  need(
    "transfer.eps",
    (v) =>
      Array.isArray(v) && v.length > 0 &&
      v.every((e) => typeof e === "number" && e > 0 && e <= 1),
    "a non-empty list of numbers in (0, 1]",
  );
  need(
    "transfer.attacks",
    (v) =>
      Array.isArray(v) && v.length > 0 &&
      v.every((a) => (TRANSFER_ATTACKS as readonly ParamValue[]).includes(a)),
    `a non-empty list of ${TRANSFER_ATTACKS.map((a) => `"${a}"`).join(", ")}`,
  );
  need("transfer.pgd_steps", (v) => isInt(v, 0), "a non-negative integer");
  need(
    "transfer.pgd_step_ratio",
    (v) => typeof v === "number" && v > 0 && Number.isFinite(v),
    "a positive number (step size as a fraction of eps)",
  );
  need("transfer.seed", (v) => isInt(v, 0), "a non-negative integer");
  return issues;
}

/**
 * Reads the `transfer.*` params; throws RangeError naming the first bad one.
 *
 * @example Defaults
 * ```ts
 * import { parseTransferParams } from "./params.ts";
 * const { testSize, config } = parseTransferParams({});
 * console.assert(testSize === 1000 && config.eps.length === 4 && config.pgdSteps === 10);
 * ```
 */
export function parseTransferParams(params: Params): { testSize: number; config: TransferConfig } {
  const issues = transferParamIssues(params);
  if (issues.length > 0) {
    throw new RangeError(`Invalid param "${issues[0]!.param}": ${issues[0]!.message}`);
  }
  return {
    testSize: get(params, "transfer.test_size") as number,
    config: {
      eps: [...get(params, "transfer.eps") as number[]],
      attacks: [...get(params, "transfer.attacks") as TransferAttack[]],
      pgdSteps: get(params, "transfer.pgd_steps") as number,
      pgdStepRatio: get(params, "transfer.pgd_step_ratio") as number,
      seed: get(params, "transfer.seed") as number,
    },
  };
}
