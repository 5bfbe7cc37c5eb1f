import { equal, ok } from "node:assert/strict";
import { buildFigures, evaluateClaims, renderReport } from "../../lib/report/mod.ts";
import { fixtureResults } from "./_fixture.ts";
import { findChromium, inspectPage } from "./_chromium.ts";

const OUT = new URL("../../.quarry/test-report/", import.meta.url).pathname;

async function writeFixtureReport(): Promise<{ path: string; figureIds: string[] }> {
  const results = fixtureResults(2);
  const figures = await buildFigures(results);
  const html = renderReport({
    results,
    figures,
    claims: evaluateClaims(results),
    profile: "fixture",
  });
  await Deno.mkdir(OUT, { recursive: true });
  const path = `${OUT}index.html`;
  await Deno.writeTextFile(path, html);
  return { path, figureIds: figures.map((f) => f.id) };
}

Deno.test("renderReport() is self-contained: no scripts, no external URLs, one figure per id", async () => {
  const results = fixtureResults(2);
  const figures = await buildFigures(results);
  const html = renderReport({ results, figures, claims: evaluateClaims(results) });
  ok(!/<script/i.test(html), "no scripts");
  ok(!/<link\b/i.test(html), "no linked resources");
  ok(!/(src|href)="(https?:)?\/\//i.test(html), "no external src/href");
  ok(!/@import|url\(https?:/i.test(html), "no external CSS");
  for (const f of figures) {
    equal(html.split(`<figure id="${f.id}"`).length - 1, 1, `figure ${f.id} appears once`);
  }
  ok(html.includes("98.19%") && html.includes("62.52%"), "thesis target numbers shown");
  ok(html.includes("hard-coded to torchvision.datasets.MNIST"), "reason for the Fashion-MNIST gap");
  ok(html.includes("hypothesis, tested"), "explanations marked as fact or hypothesis");
  // Ids are unique across the inlined SVGs.
  const ids = [...html.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]);
  equal(new Set(ids).size, ids.length, "ids are unique");
});

Deno.test("report renders in headless Chromium without console errors or missing figures", async () => {
  const chromium = await findChromium();
  if (!chromium) {
    console.warn(
      "SKIPPED: chromium is not installed (apt-get install -y chromium); the report was not opened in a browser",
    );
    return;
  }
  const { path, figureIds } = await writeFixtureReport();
  const report = await inspectPage(chromium, path, { screenshot: `${OUT}screenshot.png` });
  equal(report.errors.length, 0, `console errors:\n${report.errors.join("\n")}`);
  equal(report.externalRequests.length, 0, `external requests: ${report.externalRequests}`);
  ok(figureIds.length >= 12, "fixture has Figures 2–7 for two datasets");
  equal(report.figures.map((f) => f.id).join(","), figureIds.join(","));
  for (const f of report.figures) {
    ok(
      f.hasSvg && f.width > 100 && f.height > 100,
      `figure ${f.id} is drawn (${f.width}x${f.height})`,
    );
  }
  const png = await Deno.readFile(`${OUT}screenshot.png`);
  ok(png.length > 10_000, "screenshot written");
});

Deno.test("inspectPage() catches a console error and a missing figure", async () => {
  const chromium = await findChromium();
  if (!chromium) {
    console.warn("SKIPPED: chromium is not installed; the failure-detection check did not run");
    return;
  }
  await Deno.mkdir(OUT, { recursive: true });
  const path = `${OUT}broken.html`;
  await Deno.writeTextFile(
    path,
    `<!DOCTYPE html><html><head><title>x</title></head><body><figure id="a" class="fig"></figure><script>console.error("boom");</script></body></html>`,
  );
  const report = await inspectPage(chromium, path, { screenshot: `${OUT}broken.png` });
  ok(report.errors.some((e) => e.includes("boom")), `console error seen: ${report.errors}`);
  equal(report.figures.length, 1);
  equal(report.figures[0]!.hasSvg, false);
});
