/** The remote push after a fresh result (`afterStore`) runs beside the next instances. */

import assert from "node:assert/strict";
import { join } from "node:path";
import { cleanup, copyFixture } from "./_helpers.ts";
import { analyzePipeline, type Graph, openWorkspace, reproduce } from "../../lib/pipeline/mod.ts";

async function onParallel(body: (graph: Graph) => Promise<void>) {
  const dir = copyFixture("parallel");
  try {
    const analysis = await analyzePipeline(join(dir, "pipeline.yaml"));
    assert.ok(analysis.ok);
    await body(analysis.graph);
  } finally {
    cleanup(dir);
  }
}

Deno.test("a push does not hold the worker: the next instance starts while it uploads", async () => {
  await onParallel(async (graph) => {
    let bStarted: () => void = () => {};
    const bStart = new Promise<void>((res) => (bStarted = res));
    const order: string[] = [];
    const result = await reproduce(graph, openWorkspace(graph), {
      jobs: 1,
      onEvent: (ev) => {
        if (ev.type === "start") order.push(`start ${ev.name}`);
        if (ev.type === "start" && ev.name === "slow@b") bStarted();
      },
      afterStore: async (name) => {
        if (name === "slow@a") {
          // An upload that lasts until slow@b starts (or 5 s, if the worker waits for it).
          const waited = await Promise.race([
            bStart.then(() => "b started"),
            new Promise<string>((res) => setTimeout(() => res("timed out"), 5000)),
          ]);
          order.push(`pushed slow@a (${waited})`);
          return;
        }
        await new Promise((res) => setTimeout(res, 300)); // the last push ends after join
        order.push(`pushed ${name}`);
      },
    });
    assert.deepEqual(result.ran, ["slow@a", "slow@b", "join"]);
    assert.ok(order.includes("pushed slow@a (b started)"), order.join("; "));
    // reproduce returns only once every push has finished.
    assert.ok(order.includes("pushed join"), order.join("; "));
    assert.ok(order.includes("pushed slow@b"), order.join("; "));
  });
});

Deno.test("a push that throws is a warning, not a failed instance", async () => {
  await onParallel(async (graph) => {
    const warnings: string[] = [];
    const result = await reproduce(graph, openWorkspace(graph), {
      jobs: 1,
      onEvent: (ev) => {
        if (ev.type === "warning") warnings.push(`${ev.name}: ${ev.message}`);
      },
      afterStore: (name) =>
        name === "slow@b" ? Promise.reject(new Error("remote down")) : Promise.resolve(),
    });
    assert.deepEqual(result.ran, ["slow@a", "slow@b", "join"]);
    assert.deepEqual(result.failed, []);
    assert.ok(
      warnings.some((w) => /^slow@b: could not push slow@b: remote down/.test(w)),
      warnings.join(),
    );
  });
});
