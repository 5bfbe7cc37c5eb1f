import { equal, ok } from "node:assert/strict";
import { buildFigures, curveSpec, namespaceSvgIds, renderSvg } from "../../lib/report/mod.ts";
import { fixtureResults } from "./_fixture.ts";

Deno.test("buildFigures() draws Figures 2–7 per dataset, byte-identical on a second run", async () => {
  const results = fixtureResults(2);
  const a = await buildFigures(results);
  const b = await buildFigures(results);
  equal(
    a.map((f) => f.id).join(","),
    [2, 3, 4, 5, 6, 7].flatMap((n) => [`fig${n}-fashion-mnist`, `fig${n}-mnist`]).join(","),
  );
  for (let i = 0; i < a.length; i++) {
    equal(a[i]!.svg, b[i]!.svg, `${a[i]!.id} is deterministic`);
    ok(a[i]!.svg.startsWith("<svg"), a[i]!.id);
    ok(a[i]!.svg.includes("Agreement with target"), `${a[i]!.id} shows agreement beside accuracy`);
    ok(!/\d{4}-\d\d-\d\dT/.test(a[i]!.svg), "no timestamps");
  }
});

Deno.test("curveSpec() draws a min–max band and a mean line per series", async () => {
  const spec = curveSpec([
    {
      series: "random",
      x: 1000,
      metric: "accuracy",
      mean: 0.9,
      min: 0.89,
      max: 0.91,
      sd: 0.01,
      n: 2,
    },
    {
      series: "random",
      x: 2000,
      metric: "accuracy",
      mean: 0.92,
      min: 0.91,
      max: 0.93,
      sd: 0.01,
      n: 2,
    },
  ], { title: "t", xTitle: "Queries" });
  const layers = (spec.spec as { layer: { mark: { type: string } }[] }).layer;
  equal(layers.map((l) => l.mark.type).join(","), "area,line");
  const svg = await renderSvg(spec);
  ok(svg.includes("Random"), "legend names the series");
});

Deno.test("namespaceSvgIds() leaves an SVG without ids unchanged", () => {
  equal(namespaceSvgIds("<svg><g/></svg>", "x"), "<svg><g/></svg>");
});
