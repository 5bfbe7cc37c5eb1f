/**
 * The harness of a validation child: reads `{module, instances}` as JSON from stdin, imports the
 * run module, checks its `run` export and calls its `validate(params, vars)` for each instance.
 * The answer goes back on stdout as one line that starts with `\x1equarry:validate `; anything
 * else the module prints is ignored. The child has read access only (see `validate_child.ts`),
 * so a module that writes, spawns or connects while it loads fails here and nowhere else.
 *
 * Keep this file free of imports: it runs in every validation child.
 *
 * @module
 */

const PREFIX = "\x1equarry:validate ";

function describe(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split("\n")[0] ?? "";
}

function send(answer: unknown): void {
  const bytes = new TextEncoder().encode(`${PREFIX}${JSON.stringify(answer)}\n`);
  let off = 0;
  while (off < bytes.length) off += Deno.stdout.writeSync(bytes.subarray(off));
}

async function main(): Promise<void> {
  const input = JSON.parse(await new Response(Deno.stdin.readable).text()) as {
    module: string;
    instances: { params: Record<string, unknown>; vars: Record<string, unknown> }[];
  };
  let mod;
  try {
    mod = await import(input.module);
  } catch (e) {
    send({ load: "failed", error: describe(e) });
    return;
  }
  if (typeof mod.run !== "function") {
    send({ load: "no-run" });
    return;
  }
  const validate = typeof mod.validate === "function" ? mod.validate : undefined;
  const results = input.instances.map((i) => {
    if (!validate) return [];
    try {
      const issues = validate(Object.freeze(i.params), Object.freeze(i.vars)) ?? [];
      return (issues as { param: unknown; message: unknown }[]).map((x) => ({
        param: String(x.param),
        message: String(x.message),
      }));
    } catch (e) {
      return { threw: describe(e) };
    }
  });
  send({ load: "ok", results });
}

await main();
Deno.exit(0);
