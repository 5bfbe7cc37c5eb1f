import { deepEqual, equal, ok } from "node:assert/strict";
import { analyzePipeline } from "../../lib/pipeline/analyze.ts";

const FILE = new URL("../../pipeline.yaml", import.meta.url).pathname;

async function graph(profile: string) {
  const r = await analyzePipeline(FILE, { profile });
  if (!r.ok) {
    throw new Error(
      `pipeline.yaml (${profile}) is invalid:\n${
        r.diagnostics.map((d) => JSON.stringify(d)).join("\n")
      }`,
    );
  }
  return r.graph;
}

const count = (g: Awaited<ReturnType<typeof graph>>, stage: string) =>
  g.instances.filter((i) => i.stage === stage).length;

Deno.test("pipeline.yaml declares the thesis DAG and validates in every profile", async () => {
  const paper = await graph("paper");
  deepEqual(paper.stages, [
    "prepare",
    "target",
    "seeding",
    "select",
    "seedsize",
    "stopping",
    "ceiling",
    "transfer",
    "pool_bug",
    "plots",
    "report",
  ]);
  equal(
    count(paper, "pool_bug"),
    2,
    "MNIST pool (the thesis code's bug) and the Fashion-MNIST pool",
  );
  const bug = paper.instances.find((i) => i.name === "pool_bug@mnist")!;
  equal(bug.params["pool_bug.train_size"], 0, "paper: the whole 60,000-image pool");
  // The thesis's grid: 2 datasets; Fig. 2: 4 seedings × 5 repeats; Figs. 3–5: 9 strategies ×
  // 5 repeats, and Fig. 8: k-center, DFAL, DFAL+k-center; Fig. 6: 5 seed sizes × 5 repeats;
  // Fig. 7 on each entropy run; transfer at each of 4 checkpoints of every select run.
  equal(count(paper, "seeding"), 2 * 4 * 5);
  equal(count(paper, "select"), 2 * 12 * 5);
  equal(count(paper, "transfer"), 2 * 12 * 5 * 4);
  equal(count(paper, "ceiling"), 2, "the target's side of the transfer, once per dataset");
  equal(count(paper, "seedsize"), 2 * 5 * 5);
  equal(count(paper, "stopping"), 2 * 5);
  const sel = paper.instances.find((i) => i.stage === "select")!;
  const active = sel.params.active as Record<string, unknown>;
  equal(active.batch, 1000);
  equal(active.budget, 20000);
  deepEqual(paper.instances.find((i) => i.stage === "report")!.params["report.budgets"], [
    5000,
    10000,
    15000,
    20000,
  ]);
  const report = paper.instances.find((i) => i.stage === "report")!;
  for (
    const up of [
      "plots",
      "target@mnist",
      "stopping@mnist-0",
      "seedsize@mnist-1000-10000-entropy-0",
      "transfer@mnist-dfal+k-center-4-20000",
    ]
  ) {
    ok(report.upstream.includes(up), `report waits for ${up}`);
  }

  const quick = await graph("quick");
  equal(count(quick, "select"), 2 * 12);
  equal(count(quick, "transfer"), 2 * 12 * 4);
  equal(count(quick, "seeding"), 2 * 4);
  const smoke = await graph("smoke");
  ok(smoke.instances.length <= 22, `smoke stays tiny (${smoke.instances.length} instances)`);
  ok(smoke.instances.some((i) => i.name === "transfer@mnist-dfal-0-150"), "smoke runs DFAL");
  equal(count(smoke, "pool_bug"), 2, "the pool_bug experiment runs in smoke too");
  const byDefault = await analyzePipeline(FILE, {});
  equal(byDefault.ok && byDefault.graph.profile, "quick", "quick is the default profile");
});
