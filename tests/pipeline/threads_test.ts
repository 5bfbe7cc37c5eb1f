/** Threads for stage processes: the share of the cores, and `QUARRY_THREADS` in the child. */

import assert from "node:assert/strict";
import { join } from "node:path";
import { runSandboxed } from "../../lib/pipeline/sandbox.ts";
import { childThreads } from "../../lib/pipeline/threads.ts";

Deno.test("childThreads shares the cores among the stages that run or are ready (at most jobs)", () => {
  assert.equal(childThreads(2, 2, 1, 0), 2); // alone: every core
  assert.equal(childThreads(2, 2, 1, 5), 1); // a full pool: one each
  assert.equal(childThreads(2, 2, 2, 0), 1);
  assert.equal(childThreads(2, 1, 1, 5), 2); // --jobs 1: one at a time, every core
  assert.equal(childThreads(8, 4, 2, 0), 4);
  assert.equal(childThreads(3, 2, 1, 1), 1);
  assert.equal(childThreads(1, 4, 3, 3), 1); // never below 1
  assert.equal(childThreads(0, 1, 0, 0), 1);
});

Deno.test("a sandboxed stage sees its thread count as QUARRY_THREADS", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "quarry-threads-" });
  try {
    const module = join(dir, "stage.ts");
    Deno.writeTextFileSync(
      module,
      `export async function run(ctx) {
        await Deno.writeTextFile(ctx.outs[0], String(Deno.env.get("QUARRY_THREADS")));
      }`,
    );
    const out = join(dir, "out");
    Deno.mkdirSync(out);
    const ctx = { name: "t", vars: {}, params: {}, deps: [], outs: [join(out, "threads.txt")] };
    for (const threads of [3, undefined]) {
      const result = await runSandboxed({
        workspace: dir,
        module,
        writeDir: out,
        net: [],
        ctx,
        ...(threads === undefined ? {} : { threads }),
      });
      assert.ok(result.ok, result.error);
      const seen = Deno.readTextFileSync(join(out, "threads.txt"));
      assert.equal(seen, threads === undefined ? String(Deno.env.get("QUARRY_THREADS")) : "3");
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
