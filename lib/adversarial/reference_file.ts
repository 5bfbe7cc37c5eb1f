/**
 * The `ceiling` stage's out: the target's side of every transfer run on a dataset (ceiling and
 * floor per eps and attack, with the params they were measured at), and its checked reading by
 * the `transfer` stage.
 *
 * @module
 */

import {
  type Rate,
  type ReferenceRow,
  TRANSFER_ATTACKS,
  type TransferAttack,
  type TransferConfig,
  type TransferReference,
} from "./transfer.ts";

/** The JSON the `ceiling` stage writes (rates rounded for reading; counts exact). */
export function referenceJson(
  ref: TransferReference,
  config: TransferConfig,
  dataset: string,
  round: (x: number) => number,
): Record<string, unknown> {
  return {
    dataset,
    images: ref.images,
    params: paramsOf(config, ref.images),
    rows: ref.rows.map((r) => ({
      ...r,
      ceiling: { ...r.ceiling, rate: round(r.ceiling.rate) },
      floor: { ...r.floor, rate: round(r.floor.rate) },
    })),
    target_correct: ref.target_correct,
  };
}

/** The params a reference was measured at, as the transfer out records them. */
export function paramsOf(config: TransferConfig, testSize: number): Record<string, unknown> {
  return {
    attacks: config.attacks,
    eps: config.eps,
    pgd_step_ratio: config.pgdStepRatio,
    pgd_steps: config.pgdSteps,
    seed: config.seed,
    test_size: testSize,
  };
}

/**
 * Reads a reference written by {@linkcode referenceJson} for a run on `dataset` at `config` on
 * `testSize` images; a `RangeError` names the file and the field when it is malformed, was
 * measured elsewhere or at other params, or lacks (or repeats) a row of the config.
 */
export function parseReference(
  text: string,
  file: string,
  expected: { dataset: string; config: TransferConfig; testSize: number },
): TransferReference {
  const bad = (field: string, want: string): never => {
    throw new RangeError(
      `Invalid transfer reference "${file}": field "${field}": expected ${want}`,
    );
  };
  let raw: Record<string, unknown> | null;
  try {
    raw = JSON.parse(text);
  } catch {
    return bad("(file)", "JSON");
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    return bad("(file)", "an object");
  }
  if (raw.dataset !== expected.dataset) bad("dataset", JSON.stringify(expected.dataset));
  const want = sortedJson(paramsOf(expected.config, expected.testSize));
  if (sortedJson(raw.params) !== want) bad("params", `${want} (this run's transfer params)`);
  const count = (v: unknown, field: string) =>
    Number.isSafeInteger(v) && (v as number) >= 0 ? v as number : bad(field, "a count");
  const images = count(raw.images, "images");
  const targetCorrect = count(raw.target_correct, "target_correct");
  if (!Array.isArray(raw.rows)) return bad("rows", "a list");
  const rows = (raw.rows as unknown[]).map((r, i) => parseRow(r, `rows[${i}]`, targetCorrect, bad));
  const { eps, attacks } = expected.config;
  const keys = rows.map((r) => `${r.attack}@${r.eps}`);
  const wantKeys = eps.flatMap((e) => attacks.map((a) => `${a}@${e}`));
  if (new Set(keys).size !== keys.length || [...new Set(wantKeys)].some((k) => !keys.includes(k))) {
    bad("rows", `one row per attack and eps of the config (${[...new Set(wantKeys)].join(", ")})`);
  }
  return { images, target_correct: targetCorrect, rows };
}

function parseRow(
  raw: unknown,
  at: string,
  targetCorrect: number,
  bad: (field: string, want: string) => never,
): ReferenceRow {
  const r = (raw ?? {}) as Record<string, unknown>;
  if (!(TRANSFER_ATTACKS as readonly unknown[]).includes(r.attack)) {
    bad(`${at}.attack`, TRANSFER_ATTACKS.join(" or "));
  }
  if (typeof r.eps !== "number") bad(`${at}.eps`, "a number");
  const rate = (k: "ceiling" | "floor"): Rate => {
    const v = (r[k] ?? {}) as Record<string, unknown>;
    const of = v.of;
    if (of !== targetCorrect) bad(`${at}.${k}.of`, `${targetCorrect} (target_correct)`);
    const fooled = v.fooled;
    if (
      !Number.isSafeInteger(fooled) || (fooled as number) < 0 || (fooled as number) > targetCorrect
    ) {
      bad(`${at}.${k}.fooled`, `a count up to ${targetCorrect}`);
    }
    return {
      fooled: fooled as number,
      of: targetCorrect,
      rate: targetCorrect === 0 ? 0 : (fooled as number) / targetCorrect,
    };
  };
  return {
    attack: r.attack as TransferAttack,
    eps: r.eps as number,
    ceiling: rate("ceiling"),
    floor: rate("floor"),
  };
}

// JSON with object keys sorted, to compare params whatever order a file wrote them in.
function sortedJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_k, v) =>
      v && typeof v === "object" && !Array.isArray(v)
        ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
        : v,
  );
}
