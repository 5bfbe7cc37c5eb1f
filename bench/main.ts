/**
 * `deno task bench <name> [flags]`: dispatches to `bench/<name>.ts`, which exports
 * `main(args: string[]): Promise<void>`.
 *
 * @module
 */

const BENCHES = ["grid", "runner", "train", "serve", "scale", "attack"] as const;

async function main(args: string[]): Promise<void> {
  const [name, ...rest] = args;
  const wanted = name ? [name] : [...BENCHES];
  for (const bench of wanted) {
    if (!(BENCHES as readonly string[]).includes(bench)) {
      throw new RangeError(
        `Unknown benchmark "${bench}": expected one of ${BENCHES.map((b) => `"${b}"`).join(", ")}`,
      );
    }
    const mod = await import(`./${bench}.ts`);
    await mod.main(rest);
  }
}

if (import.meta.main) {
  await main(Deno.args);
}
