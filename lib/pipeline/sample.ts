/**
 * `repro --check --sample K`: which instances to recompute. A deterministic draw from the
 * instances the lock holds, seeded by the commit (or `--sample-seed`): each candidate is ranked by
 * the SHA-256 of `seed` and its name, so the same commit always checks the same instances and
 * every commit a different few. With a time cap, instances known to fit it come first.
 *
 * @module
 */
import { sha256 } from "./hash.ts";

/** Options for {@linkcode drawSample}. */
export interface SampleOptions {
  /** Expected seconds by instance (recorded timings). */
  readonly costs?: ReadonlyMap<string, number>;
  /** Prefer instances whose expected seconds are at most this. */
  readonly maxSeconds?: number;
}

/**
 * Draws `k` of `candidates` (pure): ranked by `sha256(seed + "\n" + name)`; with `maxSeconds`,
 * the instances known to fit come first, then those of unknown cost, then the rest.
 *
 * @example The same seed draws the same instances
 * ```ts
 * import { drawSample } from "./sample.ts";
 * const names = ["a", "b", "c", "d"];
 * const one = drawSample(names, 2, "commit-1");
 * if (one.join() !== drawSample([...names].reverse(), 2, "commit-1").join()) {
 *   throw new Error("expected the draw not to depend on the order of the candidates");
 * }
 * ```
 */
export function drawSample(
  candidates: readonly string[],
  k: number,
  seed: string,
  options: SampleOptions = {},
): string[] {
  const ranked = [...new Set(candidates)]
    .map((name) => ({ name, rank: sha256(`${seed}\n${name}`) }))
    .sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : 0))
    .map((r) => r.name);
  const cap = options.maxSeconds;
  if (cap === undefined) return ranked.slice(0, k);
  const tier = (name: string): number => {
    const c = options.costs?.get(name);
    return c === undefined ? 1 : c <= cap ? 0 : 2;
  };
  // A stable sort keeps the seeded order within each tier.
  return ranked.map((name, i) => ({ name, i, t: tier(name) }))
    .sort((a, b) => a.t - b.t || a.i - b.i)
    .slice(0, k)
    .map((r) => r.name);
}

/** The commit `git rev-parse HEAD` names in `root`, or `undefined` outside a repository. */
export function headCommit(root: string): string | undefined {
  try {
    const out = new Deno.Command("git", {
      args: ["-C", root, "rev-parse", "HEAD"],
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    const text = new TextDecoder().decode(out.stdout).trim();
    return out.code === 0 && text ? text : undefined;
  } catch {
    return undefined;
  }
}
