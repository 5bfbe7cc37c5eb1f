/**
 * The harness of a sandboxed stage process: reads `{module, ctx}` as JSON from stdin, imports the
 * stage module and awaits `run(ctx)`. Progress and the outcome go back on stdout as lines that
 * start with `\x1equarry:`; anything else the stage prints is its log.
 *
 * Keep this file free of imports: it runs in every child.
 *
 * @module
 */

const PREFIX = "\x1equarry:";
const encoder = new TextEncoder();

function send(line: string): void {
  const bytes = encoder.encode(`${PREFIX}${line}\n`);
  let off = 0;
  while (off < bytes.length) off += Deno.stdout.writeSync(bytes.subarray(off));
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object") {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

async function main(): Promise<void> {
  const input = JSON.parse(await new Response(Deno.stdin.readable).text()) as {
    module: string;
    ctx: {
      name: string;
      vars: Record<string, unknown>;
      params: Record<string, unknown>;
      deps: string[];
      outs: string[];
    };
  };
  let last = -Infinity;
  const ctx = {
    name: input.ctx.name,
    vars: deepFreeze(input.ctx.vars),
    params: deepFreeze(input.ctx.params),
    deps: deepFreeze(input.ctx.deps),
    outs: deepFreeze(input.ctx.outs),
    progress(done: number, total: number): void {
      const now = performance.now();
      if (done < total && now - last < 100) return;
      last = now;
      send(`progress ${Number(done)} ${Number(total)}`);
    },
    measure(name: string, value: number): void {
      // Measurements of the run itself go to the runner's timing record, never to an out.
      if (typeof name === "string" && Number.isFinite(value)) {
        send(`measure ${JSON.stringify([name, Number(value)])}`);
      }
    },
  };
  try {
    const mod = await import(input.module);
    if (typeof mod.run !== "function") {
      throw new TypeError(`Run module "${input.module}" does not export a function run(ctx)`);
    }
    await mod.run(ctx);
  } catch (e) {
    const err = e instanceof Error
      ? { name: e.name, message: e.message, stack: e.stack ?? "" }
      : { name: "Error", message: String(e), stack: "" };
    send(`error ${JSON.stringify(err)}`);
    Deno.exit(1);
  }
  send("done");
  Deno.exit(0);
}

await main();
