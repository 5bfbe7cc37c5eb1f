/**
 * The self-contained HTML report (`artifacts/report/index.html`): inline CSS and SVG, no scripts,
 * no external requests. Targets beside the thesis's numbers, the claims table, the figures and
 * tables of accuracy and agreement at each query budget.
 *
 * @module
 */

import { distinct, learningCurve, seedingCurve, stopCurve, type Summary } from "./aggregate.ts";
import type { ClaimResult } from "./claims.ts";
import { commonQueries, describeComparison, MARGINS, VERDICT_RULES } from "./claims.ts";
import { ALPHA } from "./stats/mod.ts";
import type { Figure } from "./figures.ts";
import { namespaceSvgIds } from "./render.ts";
import { attackSection, type AttackView } from "./attack.ts";
import { escapeHtml } from "../util/html.ts";
import type { Results } from "./results.ts";
import { targetsSection, thousands } from "./targets.ts";
import { datasetLabel, seriesLabel, STRATEGIES } from "./results.ts";

/** What {@linkcode renderReport} draws. */
export interface ReportInput {
  results: Results;
  figures: readonly Figure[];
  claims: readonly ClaimResult[];
  /** Budgets of the strategy tables; default every query count the select runs share. */
  budgets?: readonly number[];
  /** Profile the results come from, shown in the header. */
  profile?: string;
  /** Stopping rule of the stopping table; default `batch-entropy`. */
  stopRule?: string;
  /** The API's access log summarised (`report.access_log`); no section when absent. */
  attack?: AttackView;
}

export { escapeHtml };

const pct = (x: number) => (100 * x).toFixed(2);

function cell(s: Summary | undefined, best = false): string {
  if (!s) return `<td class="na">–</td>`;
  const spread = s.n > 1 ? ` <span class="sp">(${pct(s.min)}–${pct(s.max)})</span>` : "";
  const mean = best ? `<strong>${pct(s.mean)}</strong>` : pct(s.mean);
  return `<td>${mean}${spread}</td>`;
}

/**
 * Renders the whole report. Deterministic: same input, same bytes.
 *
 * @example Usage
 * ```ts
 * import { renderReport } from "./html.ts";
 * import { ok } from "node:assert/strict";
 * const html = renderReport({ results: { targets: [], runs: [], stops: [] }, figures: [], claims: [] });
 * ok(html.startsWith("<!DOCTYPE html>"));
 * ```
 */
export function renderReport(input: ReportInput): string {
  const { results } = input;
  const parts: string[] = [];
  parts.push(header(input));
  parts.push(targetsSection(results));
  parts.push(claimsSection(input.claims));
  parts.push(figuresSection(input.figures));
  parts.push(tablesSection(input));
  if (input.attack) parts.push(attackSection(input.attack));
  parts.push(rulesSection());
  return [
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    "<title>Quarry report: query-efficient model stealing</title>",
    `<style>${CSS}</style>`,
    "</head>",
    "<body>",
    ...parts,
    "</body>",
    "</html>",
    "",
  ].join("\n");
}

/** The thesis's grid: five repeats of each run, up to 20,000 queries. */
const THESIS_REPEATS = 5;
const THESIS_QUERIES = 20000;

/**
 * Says at what scale the verdicts were reached when it is smaller than the thesis's grid: a
 * verdict from one repeat at 1,000 queries says what that run shows, not what the paper grid would.
 */
export function scaleNote(results: Results): string {
  const repeats = new Set(results.runs.map((r) => r.repeat)).size;
  const queries = Math.max(0, ...results.runs.flatMap((r) => r.trace.map((t) => t.queries)));
  if (repeats >= THESIS_REPEATS && queries >= THESIS_QUERIES) return "";
  return `<p class="scale"><strong>Reduced scale:</strong> ${repeats} repeat${
    repeats === 1 ? "" : "s"
  }, at most ${thousands(queries)} queries per run (the thesis: ${THESIS_REPEATS} repeats, up to ${
    thousands(THESIS_QUERIES)
  } queries). The verdicts say what these runs show; run <code>deno task repro --profile paper</code> for the thesis's grid.</p>`;
}

function header(input: ReportInput): string {
  const counts = { holds: 0, "does not hold": 0, inconclusive: 0 };
  for (const c of input.claims) counts[c.verdict]++;
  const profile = input.profile ? ` Profile: <code>${escapeHtml(input.profile)}</code>.` : "";
  return `<header><h1>Quarry report</h1>
<p>Reproduction of Psathas (TU Delft 2022), <em>Decreasing Model Stealing Querying for Black Box
Adversarial Attacks</em>: cluster seeding, selection strategies and an entropy stopping rule for
ActiveThief on MNIST and Fashion-MNIST.${profile}</p>
${scaleNote(input.results)}
<p class="summary">Claims: <span class="v holds">${counts.holds} hold</span>
<span class="v does-not-hold">${counts["does not hold"]} do not hold</span>
<span class="v inconclusive">${counts.inconclusive} inconclusive</span></p>
<nav><a href="#targets">Targets</a> · <a href="#claims">Claims</a> · <a href="#figures">Figures</a>
· <a href="#tables">Tables</a>${
    input.attack ? ' · <a href="#attack">Attack</a>' : ""
  } · <a href="#rules">Verdict rules</a></nav></header>`;
}

function num(x: number | null, digits: number): string {
  return x === null ? "–" : `${x > 0 ? "+" : ""}${x.toFixed(digits)}`;
}

function pText(p: number | null): string {
  return p === null ? "–" : p < 0.001 ? p.toExponential(1) : p.toFixed(3);
}

function claimsSection(claims: readonly ClaimResult[]): string {
  const rows = claims.map((c) => {
    const cls = c.verdict.replace(/ /g, "-");
    const digits = c.unit === "queries" ? 0 : 2;
    const effect = c.effect === null ? "–" : `${num(c.effect, digits)} ${c.unit}`;
    const iv = c.tost?.interval ?? c.interval;
    const level = c.tost ? "90%" : "95%";
    const interval = iv
      ? `${level} [${iv[0].toFixed(digits)}, ${iv[1].toFixed(digits)}]` +
        (c.tost ? ` vs ±${c.tost.margin}` : "")
      : "–";
    const p = c.tost
      ? `TOST ${pText(c.p_adjusted)}; outside ${pText(c.tost.p_outside_adjusted)}`
      : pText(c.p_adjusted);
    return `<tr id="claim-${escapeHtml(c.id)}"><td>${escapeHtml(c.claim)}<div class="test">${
      escapeHtml(c.test)
    }</div></td>
<td><span class="v ${cls}">${c.verdict}</span><div class="why">${escapeHtml(c.reason)}</div></td>
<td class="num">${c.n}</td><td class="num">${effect}</td><td class="num">${
      escapeHtml(interval)
    }</td>
<td class="num">${escapeHtml(p)}</td><td class="ev">${evidenceHtml(c)}</td></tr>`;
  });
  return `<section id="claims"><h2>Claims</h2>
<p>Every finding the thesis states in its Results and Discussion that these experiments test,
with our verdict by the rules <a href="#rules">below</a>. The numbers are those of the deciding
comparison: n repeats, the mean paired difference, its interval (95% Student-t, or for ≈ the 90%
interval TOST reads against the margin) and its Holm-adjusted p-value within the claim. Every
comparison is listed under Evidence and in <code>claims.json</code>.</p>
<table class="claims"><thead><tr><th>Claim</th><th>Verdict</th><th>n</th><th>Effect</th>
<th>Interval</th><th>Adjusted p</th><th>Evidence</th></tr></thead><tbody>
${rows.join("\n")}
</tbody></table></section>`;
}

/** The comparisons as a list, folded when long (no script needed), and the claim's note. */
function evidenceHtml(c: ClaimResult): string {
  const items = c.comparisons.map((x) => `<li>${escapeHtml(describeComparison(x))}</li>`);
  const noteHtml = c.note ? `<p class="note">${escapeHtml(c.note)}</p>` : "";
  if (items.length === 0) return `<span class="na">no data</span>${noteHtml}`;
  if (items.length <= 2) return `<ul>${items.join("")}</ul>${noteHtml}`;
  return `<details><summary>${items.length} comparisons</summary><ul>${
    items.join("")
  }</ul></details>${noteHtml}`;
}

function figuresSection(figures: readonly Figure[]): string {
  const items = figures.map((f) =>
    `<figure id="${escapeHtml(f.id)}" class="fig">
${namespaceSvgIds(f.svg.trim(), f.id)}
<figcaption><strong>${escapeHtml(f.title)}.</strong> ${escapeHtml(f.caption)}</figcaption>
</figure>`
  );
  return `<section id="figures"><h2>Figures</h2>
${items.join("\n") || '<p class="na">No figures: no results yet.</p>'}
</section>`;
}

function tablesSection(input: ReportInput): string {
  const { results } = input;
  const out: string[] = [
    '<section id="tables"><h2>Tables</h2>',
    "<p>Percent, mean over repeats, (min–max) when there is more than one.</p>",
  ];
  for (const d of distinct(results.runs.map((r) => r.dataset))) {
    out.push(...selectTables(input, d), ...seedingTable(results, d), ...seedSizeTable(results, d));
  }
  out.push(...stopTables(input));
  out.push("</section>");
  return out.join("\n");
}

/** Per metric, each strategy's value at each query budget (the best in bold). */
function selectTables(input: ReportInput, d: string): string[] {
  const { results } = input;
  const name = escapeHtml(datasetLabel(d));
  const out: string[] = [];
  const select = results.runs.filter((r) => r.experiment === "select" && r.dataset === d);
  if (select.length === 0) return out;
  const budgets = input.budgets ?? commonQueries(select);
  const rank = (x: string) => {
    const i = (STRATEGIES as readonly string[]).indexOf(x.split(":")[0]!);
    return i < 0 ? STRATEGIES.length : i;
  };
  const series = distinct(select.map((r) => r.series)).sort((a, b) => rank(a) - rank(b));
  const pts = learningCurve(results.runs, { experiment: "select", dataset: d, budgets });
  for (const metric of ["accuracy", "agreement"] as const) {
    const best = new Map<number, number>();
    for (const p of pts) {
      if (p.metric === metric) best.set(p.x, Math.max(best.get(p.x) ?? -Infinity, p.mean));
    }
    out.push(`<h3>${name}: ${metric} of each strategy at each query budget</h3>`);
    out.push(
      `<table><thead><tr><th>Strategy</th>${
        budgets.map((b) => `<th>${b}</th>`).join("")
      }</tr></thead><tbody>`,
    );
    for (const s of series) {
      const cells = budgets.map((b) => {
        const p = pts.find((p) => p.series === s && p.metric === metric && p.x === b);
        return cell(p, p !== undefined && p.mean === best.get(b));
      });
      out.push(`<tr><td>${escapeHtml(seriesLabel(s))}</td>${cells.join("")}</tr>`);
    }
    out.push("</tbody></table>");
  }
  return out;
}

/** Accuracy and agreement after seeding, per seeding and seed size. */
function seedingTable(results: Results, d: string): string[] {
  const name = escapeHtml(datasetLabel(d));
  const out: string[] = [];
  const seed = seedingCurve(results.runs, { dataset: d });
  if (seed.length > 0) {
    const sizes = distinct(seed.map((p) => p.x));
    const series = distinct(seed.map((p) => p.series));
    out.push(`<h3>${name}: accuracy / agreement after seeding, by seed size</h3>`);
    out.push(
      `<table><thead><tr><th>Seeding</th><th>Metric</th>${
        sizes.map((s) => `<th>${s}</th>`).join("")
      }</tr></thead><tbody>`,
    );
    for (const s of series) {
      for (const metric of ["accuracy", "agreement"] as const) {
        const cells = sizes.map((x) =>
          cell(seed.find((p) => p.series === s && p.metric === metric && p.x === x))
        );
        out.push(
          `<tr><td>${escapeHtml(seriesLabel(s))}</td><td>${metric}</td>${cells.join("")}</tr>`,
        );
      }
    }
    out.push("</tbody></table>");
  }
  return out;
}

/** Final accuracy and agreement per seed size. */
function seedSizeTable(results: Results, d: string): string[] {
  const name = escapeHtml(datasetLabel(d));
  const out: string[] = [];
  const sizeRuns = results.runs.filter((r) => r.experiment === "seed_size" && r.dataset === d);
  if (sizeRuns.length > 0) {
    const end = Math.min(...sizeRuns.map((r) => Math.max(...r.trace.map((x) => x.queries))));
    const pts = learningCurve(results.runs, {
      experiment: "seed_size",
      dataset: d,
      budgets: [end],
      seriesOf: (r) => String(r.seed_size),
    });
    const sizes = distinct(sizeRuns.map((r) => r.seed_size));
    out.push(`<h3>${name}: final accuracy / agreement at ${end} queries, by seed size</h3>`);
    out.push(
      "<table><thead><tr><th>Seed size</th><th>Accuracy</th><th>Agreement</th></tr></thead><tbody>",
    );
    for (const s of sizes) {
      const get = (m: string) => pts.find((p) => p.series === String(s) && p.metric === m);
      out.push(`<tr><td>${s}</td>${cell(get("accuracy"))}${cell(get("agreement"))}</tr>`);
    }
    out.push("</tbody></table>");
  }
  return out;
}

/** Per dataset, where the stopping rule stopped at each alpha. */
function stopTables(input: ReportInput): string[] {
  const { results } = input;
  const out: string[] = [];
  const rule = input.stopRule ?? "batch-entropy";
  for (const d of distinct(results.stops.map((s) => s.dataset))) {
    const pts = stopCurve(results.stops, { dataset: d, rule });
    if (pts.length === 0) continue;
    out.push(
      `<h3>${escapeHtml(datasetLabel(d))}: where the stopping rule (${
        escapeHtml(rule)
      }) stopped</h3>`,
    );
    out.push(
      "<table><thead><tr><th>α</th><th>Queries at stop</th><th>Accuracy</th><th>Agreement</th>" +
        "<th>Never stopped</th></tr></thead><tbody>",
    );
    for (const p of pts) {
      const q = p.queries.n > 1
        ? `${p.queries.mean.toFixed(0)} <span class="sp">(${p.queries.min}–${p.queries.max})</span>`
        : p.queries.mean.toFixed(0);
      out.push(
        `<tr><td>${p.alpha}</td><td>${q}</td>${cell(p.accuracy)}${
          cell(p.agreement)
        }<td>${p.censored} of ${p.queries.n}</td></tr>`,
      );
    }
    out.push("</tbody></table>");
  }
  return out;
}

function rulesSection(): string {
  const rows = VERDICT_RULES.map((r) =>
    `<tr><td>${escapeHtml(r.case)}</td><td><span class="v ${r.verdict.replace(/ /g, "-")}">${
      escapeHtml(r.verdict)
    }</span></td><td>${escapeHtml(r.when)}</td></tr>`
  );
  return `<section id="rules"><h2>Verdict rules</h2>
<p>Each claim is a set of comparisons between configurations, paired by repeat (repeats with the
same index share their random seed): for each, the per-repeat differences d = A − B (n repeats,
df = n − 1). The tests (<code>lib/report/stats/</code>, checked against published tables and
textbook examples) are the paired t-test, Holm–Bonferroni over the claim's comparisons
(family-wise α = ${ALPHA}), and TOST for "similar / close / hardly affects" with a margin that is
our reading of the thesis's words (it gives no number): ±${MARGINS.accuracy} pp ("similar",
"closely behind"), ±${MARGINS.fullData} pp (accuracy at the stop against the target on the same
test images), and ±${MARGINS.seedRange} pp over the seed sizes run for the seed-size slope
(±0.25 pp per 1,000 seed images over the thesis's 1k–5k). Intervals are drawn per comparison, not adjusted for multiplicity: 95% Student-t for
differences, 90% for TOST; the verdicts use the Holm-adjusted p-values.</p>
<table class="rules"><thead><tr><th>Case</th><th>Verdict</th><th>When</th></tr></thead><tbody>
${rows.join("\n")}
</tbody></table>
<ul>
<li>Strategies are compared on accuracy averaged over the query budgets (area under the learning
curve at those points); seeding on accuracy after seeding averaged over seed sizes; seed size by
the least-squares slope of final accuracy on seed size within each repeat.</li>
<li>Stopping (Fig. 7) uses <code>report.stop_rule</code>, by default the thesis's rule in its own
units: |H(i−1) − H(i)| ≤ α on the mean log10 entropy of the selected batch.</li>
</ul></section>`;
}

const CSS = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1100px;
padding:1rem 1.5rem;color:#222;line-height:1.45}
h1{margin-bottom:.2rem}h2{border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:2rem}
h3{font-size:1rem;margin-top:1.4rem}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.88rem}
th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f5f5f5}td.num{text-align:right;white-space:nowrap}
td.reason,td.ev{font-size:.8rem;color:#444;max-width:520px}
.kind{font-weight:600;color:#555}
.test,.why,.note{font-size:.75rem;color:#666;margin-top:.2rem}
.na{color:#999}.sp{color:#777;font-size:.8em;white-space:nowrap}
#tables{overflow-x:auto}
.v{display:inline-block;padding:.05rem .45rem;border-radius:.6rem;font-size:.8rem;white-space:nowrap}
.v.holds{background:#d9f2dd;color:#145a22}.v.does-not-hold{background:#f9dcdc;color:#7a1717}
.v.inconclusive{background:#eee;color:#555}
figure.fig{margin:1rem 0 2rem;overflow-x:auto}figure.fig svg{max-width:100%;height:auto}
td.ev ul{margin:0;padding-left:1rem}td.ev summary{cursor:pointer;color:#1f5fa8}
figcaption{font-size:.85rem;color:#444;margin-top:.3rem}
nav a{color:#1f5fa8}code{background:#f3f3f3;padding:0 .2rem}
`;
