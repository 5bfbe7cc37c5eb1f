import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { run as runPlots, validate as validatePlots } from "../../stages/plots.ts";
import { run as runReport } from "../../stages/report.ts";
import { loadResults } from "../../lib/report/mod.ts";
import type { StageContext } from "../../lib/pipeline/stage_context.ts";

const FIXTURES = new URL("../fixtures/report/", import.meta.url).pathname;
const DEPS = ["select/", "seeding/", "seed_size/", "stopping/mnist/", "target/"].map((d) =>
  `${FIXTURES}${d}`
);

function ctx(name: string, deps: string[], outs: string[]): StageContext {
  return {
    name,
    vars: {},
    params: { "report.budgets": [1000, 1500, 2000, 2500] },
    deps,
    outs,
    progress: () => {},
  };
}

Deno.test("loadResults() reads runs, stopping evaluations and targets from fixture folders", async () => {
  const r = await loadResults(DEPS);
  deepEqual(r.targets, [{ dataset: "mnist", test_accuracy: 0.9893, test_size: 10000 }]);
  const count = (e: string) => r.runs.filter((x) => x.experiment === e).length;
  equal(count("select"), 6);
  equal(count("seeding"), 12);
  equal(count("seed_size"), 4);
  deepEqual(
    [...new Set(r.runs.filter((x) => x.experiment === "select").map((x) => x.series))],
    ["entropy", "entropy_clustering", "random"],
  );
  deepEqual(
    [...new Set(r.runs.filter((x) => x.experiment === "seeding").map((x) => x.series))].sort(),
    ["cluster-10", "cluster-20", "random"],
  );
  const thesis = r.stops.filter((s) => s.rule === "batch-entropy");
  equal(thesis.length, 8);
  ok(thesis.every((s) => s.strategy === "entropy"));
  const never = thesis.find((s) => s.alpha === 0.005 && s.repeat === 0)!;
  equal(never.stopped, false);
  equal(never.queries, 2500, "a rule that never fired is read at the run's end");
});

Deno.test("stages plots and report write figures, index.html and claims.json, byte-identical twice", async () => {
  const dir = await Deno.makeTempDir({ prefix: "quarry_report_stage_" });
  try {
    const outputs: string[] = [];
    for (const round of [0, 1]) {
      const figs = `${dir}/r${round}/figures/`;
      const rep = `${dir}/r${round}/report/`;
      await runPlots(ctx("plots", DEPS, [figs]));
      await runReport(ctx("report", [...DEPS, figs], [rep]));
      const files: string[] = [];
      for (const d of [figs, rep]) {
        for (const e of [...Deno.readDirSync(d)].map((e) => e.name).sort()) {
          files.push(`${e}:${await Deno.readTextFile(`${d}${e}`)}`);
        }
      }
      outputs.push(files.join("\n"));
    }
    equal(outputs[0], outputs[1], "same inputs, same bytes");
    const figs = `${dir}/r0/figures/`;
    const names = [...Deno.readDirSync(figs)].map((e) => e.name).sort();
    for (const id of ["fig2-mnist", "fig3-mnist", "fig5-mnist", "fig6-mnist", "fig7-mnist"]) {
      ok(names.includes(`${id}.svg`), `${id}.svg written`);
    }
    ok(!names.includes("fig2-fashion-mnist.svg"), "no figure for a dataset without runs");
    const html = await Deno.readTextFile(`${dir}/r0/report/index.html`);
    ok(html.includes('<figure id="fig3-mnist"'));
    ok(html.includes("98.93%") && html.includes("98.19%"));
    const claims = JSON.parse(await Deno.readTextFile(`${dir}/r0/report/claims.json`));
    ok(claims.length >= 8);
    for (const c of claims) {
      ok(["holds", "does not hold", "inconclusive"].includes(c.verdict));
      for (const k of ["claim", "verdict", "effect", "spread", "evidence"]) ok(k in c, k);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("stage plots rejects bad params and outs with a clear message", async () => {
  deepEqual(validatePlots({ "report.budgets": [0] }, {}), [{
    param: "report.budgets",
    message: "expected a list of positive integers, got [0]",
  }]);
  await rejects(() => runPlots(ctx("plots", DEPS, ["figures.svg"])), /expected one folder/);
});
