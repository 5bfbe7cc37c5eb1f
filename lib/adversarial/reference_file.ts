/**
 * The `ceiling` stage's out: the target's side of every transfer run on a dataset (ceiling and
 * floor per eps and attack, with the params they were measured at), and its checked reading by
 * the `transfer` stage.
 *
 * @module
 */

import type { ReferenceRow, TransferConfig, TransferReference } from "./transfer.ts";

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
 * Reads a reference written by {@linkcode referenceJson} for a run at `config` on `testSize`
 * images; a `RangeError` names the file and the field when it is malformed or was measured at
 * other params.
 */
export function parseReference(
  text: string,
  file: string,
  config: TransferConfig,
  testSize: number,
): TransferReference {
  const bad = (field: string, expected: string): never => {
    throw new RangeError(
      `Invalid transfer reference "${file}": field "${field}": expected ${expected}`,
    );
  };
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text);
  } catch {
    return bad("(file)", "JSON");
  }
  const want = JSON.stringify(paramsOf(config, testSize));
  if (JSON.stringify(raw.params) !== want) bad("params", `${want} (this run's transfer params)`);
  const count = (v: unknown, field: string) =>
    Number.isSafeInteger(v) && (v as number) >= 0 ? v as number : bad(field, "a count");
  const images = count(raw.images, "images");
  const targetCorrect = count(raw.target_correct, "target_correct");
  if (!Array.isArray(raw.rows)) return bad("rows", "a list");
  const rows = (raw.rows as Record<string, unknown>[]).map((r, i): ReferenceRow => {
    const rate = (k: "ceiling" | "floor") => {
      const v = (r?.[k] ?? {}) as Record<string, unknown>;
      const fooled = count(v.fooled, `rows[${i}].${k}.fooled`);
      const of = count(v.of, `rows[${i}].${k}.of`);
      return { fooled, of, rate: of === 0 ? 0 : fooled / of };
    };
    if (typeof r?.eps !== "number") bad(`rows[${i}].eps`, "a number");
    return {
      attack: r.attack as ReferenceRow["attack"],
      eps: r.eps as number,
      ceiling: rate("ceiling"),
      floor: rate("floor"),
    };
  });
  return { images, target_correct: targetCorrect, rows };
}
