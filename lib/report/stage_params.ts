/**
 * The params the figures and report stages read (`report.*`), parsed and checked.
 *
 * @module
 */

import { STOPPING_RULES } from "../active/stopping.ts";
import type { ParamIssue, ParamValue } from "../pipeline/stage_context.ts";

/** The params prefix of the plots and report stages. */
export const REPORT_PREFIX = "report";

/** Parsed `report.*` params. */
export interface ReportParams {
  /** Query budgets at which strategies are read (thesis: 5000, 10000, 15000, 20000); every round when absent. */
  budgets?: number[];
  /** Stopping rule of Fig. 7 and the alpha claim (default `batch-entropy`). */
  stopRule: string;
  /** The prediction API's access log to summarise (a dep of the report stage); none when absent. */
  accessLog?: string;
}

/** Problems in the `report.*` params. */
export function reportParamIssues(params: Readonly<Record<string, ParamValue>>): ParamIssue[] {
  const issues: ParamIssue[] = [];
  const budgets = params[`${REPORT_PREFIX}.budgets`];
  if (
    budgets !== undefined && budgets !== null &&
    (!Array.isArray(budgets) || budgets.some((b) => !Number.isInteger(b) || (b as number) <= 0))
  ) {
    issues.push({
      param: `${REPORT_PREFIX}.budgets`,
      message: `expected a list of positive integers, got ${JSON.stringify(budgets)}`,
    });
  }
  const rule = params[`${REPORT_PREFIX}.stop_rule`];
  if (rule !== undefined && !(STOPPING_RULES as readonly unknown[]).includes(rule)) {
    issues.push({
      param: `${REPORT_PREFIX}.stop_rule`,
      message: `expected one of ${STOPPING_RULES.join(", ")}, got ${JSON.stringify(rule)}`,
    });
  }
  const log = params[`${REPORT_PREFIX}.access_log`];
  if (log !== undefined && log !== null && (typeof log !== "string" || log.trim() === "")) {
    issues.push({
      param: `${REPORT_PREFIX}.access_log`,
      message: `expected null or the path of an access log, got ${JSON.stringify(log)}`,
    });
  }
  return issues;
}

/**
 * Parses the `report.*` params; throws RangeError naming the first bad one.
 *
 * @example Usage
 * ```ts
 * import { parseReportParams } from "./stage_params.ts";
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(parseReportParams({ "report.budgets": [5000, 10000] }), {
 *   budgets: [5000, 10000],
 *   stopRule: "batch-entropy",
 * });
 * ```
 */
export function parseReportParams(params: Readonly<Record<string, ParamValue>>): ReportParams {
  const issues = reportParamIssues(params);
  if (issues.length > 0) {
    throw new RangeError(`Invalid param "${issues[0]!.param}": ${issues[0]!.message}`);
  }
  const budgets = params[`${REPORT_PREFIX}.budgets`];
  const rule = params[`${REPORT_PREFIX}.stop_rule`];
  const log = params[`${REPORT_PREFIX}.access_log`];
  return {
    ...(Array.isArray(budgets) ? { budgets: [...budgets as number[]].sort((a, b) => a - b) } : {}),
    stopRule: typeof rule === "string" ? rule : "batch-entropy",
    ...(typeof log === "string" ? { accessLog: log } : {}),
  };
}
