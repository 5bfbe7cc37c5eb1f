/**
 * The thesis's Figures 2–7 from a {@linkcode Results}: which series each figure shows, its
 * title and caption, and its rendered SVG. One figure per dataset, as the thesis drew (a) MNIST
 * and (b) Fashion-MNIST.
 *
 * @module
 */

import { distinct, isThesisStop, learningCurve, seedingCurve, stopCurve } from "./aggregate.ts";
import { STOPPING_RULE_TEXT, type StoppingRuleName } from "../active/stopping.ts";
import { renderSvg } from "./render.ts";
import type { Results } from "./results.ts";
import { datasetLabel } from "./results.ts";
import { curveSpec, stopSpec, type VlSpec } from "./specs.ts";

/** One rendered figure. */
export interface Figure {
  /** `fig2-mnist`, …: also the SVG's file name without `.svg`. */
  id: string;
  /** The thesis's figure number (2–7). */
  number: number;
  dataset: string;
  title: string;
  caption: string;
  spec: VlSpec;
  svg: string;
}

/** Series of the strategy figures, as the thesis grouped them. */
export const STRATEGY_FIGURES: ReadonlyArray<
  { number: number; series: readonly string[]; caption: string }
> = [
  {
    number: 3,
    series: ["random", "least_confidence", "margin", "entropy"],
    caption: "Uncertainty subset selection strategies versus random sampling.",
  },
  {
    number: 4,
    series: ["random", "entropy", "uniform", "clustering"],
    caption: "Entropy, uniform and clustering strategies versus random sampling.",
  },
  {
    number: 5,
    series: ["random", "entropy_clustering", "entropy_uniform", "entropy_clustering_uniform"],
    caption: "Combinations of strategies versus random sampling.",
  },
];

/** Options of {@linkcode buildFigures}. */
export interface FigureOptions {
  /** Query budgets at which Figs. 3–5 read the curves (the thesis: 5k, 10k, 15k, 20k). */
  budgets?: readonly number[];
  /** The stopping rule Fig. 7 shows; default the thesis's `batch-entropy`. */
  stopRule?: string;
}

const SPREAD_NOTE = "Line: mean over repeats; band or whiskers: min–max over repeats.";

/** Every figure the results have data for, in thesis order, datasets in sorted order. */
export async function buildFigures(
  results: Results,
  options: FigureOptions = {},
): Promise<Figure[]> {
  const datasets = distinct([
    ...results.runs.map((r) => r.dataset),
    ...results.stops.map((s) => s.dataset),
  ]);
  const figures: Figure[] = [];
  const add = async (
    f: Omit<Figure, "svg" | "title"> & { title: string },
    hasData: boolean,
  ) => {
    if (!hasData) return;
    figures.push({ ...f, svg: await renderSvg(f.spec) });
  };
  for (const dataset of datasets) {
    const name = datasetLabel(dataset);
    const seedSeries = distinct(
      results.runs.filter((r) => r.experiment === "seeding" && r.dataset === dataset).map((r) =>
        r.series
      ),
    ).sort((a, b) => clusterRank(a) - clusterRank(b));
    const fig2 = seedingCurve(results.runs, { dataset, series: seedSeries });
    const title2 = `Fig. 2 (${name}): random versus cluster seeding`;
    await add({
      id: `fig2-${dataset}`,
      number: 2,
      dataset,
      title: title2,
      caption:
        `Accuracy after seeding only, against seed size, random seeding versus cluster seeding with N clusters. ${SPREAD_NOTE}`,
      spec: curveSpec(fig2, { title: title2, xTitle: "Seed size (queries)", series: seedSeries }),
    }, fig2.length > 0);
    for (const def of STRATEGY_FIGURES) {
      const pts = learningCurve(results.runs, {
        experiment: "select",
        dataset,
        series: def.series,
        ...(options.budgets ? { budgets: options.budgets } : {}),
      });
      const present = def.series.filter((s) => pts.some((p) => p.series === s));
      const title = `Fig. ${def.number} (${name}): ${def.caption.replace(/\.$/, "").toLowerCase()}`;
      await add({
        id: `fig${def.number}-${dataset}`,
        number: def.number,
        dataset,
        title,
        caption: `${def.caption} ${SPREAD_NOTE}`,
        spec: curveSpec(pts, { title, xTitle: "Queries", series: present }),
      }, pts.length > 0);
    }
    const sizes = distinct(
      results.runs.filter((r) => r.experiment === "seed_size" && r.dataset === dataset).map((r) =>
        r.seed_size
      ),
    );
    const sizeLabel = (s: number) => `seed ${s}`;
    const fig6 = learningCurve(results.runs, {
      experiment: "seed_size",
      dataset,
      seriesOf: (r) => sizeLabel(r.seed_size),
    });
    const title6 = `Fig. 6 (${name}): effect of seed size, then entropy`;
    await add({
      id: `fig6-${dataset}`,
      number: 6,
      dataset,
      title: title6,
      caption:
        `Random seed of 1k–5k queries, then entropy selection up to the budget. ${SPREAD_NOTE}`,
      spec: curveSpec(fig6, {
        title: title6,
        xTitle: "Queries",
        series: sizes.map(sizeLabel),
        label: (s) => s,
      }),
    }, fig6.length > 0);
    const rule = options.stopRule ?? "batch-entropy";
    const stops = results.stops.filter((s) => s.dataset === dataset && isThesisStop(s, rule));
    const pts7 = stopCurve(stops, { dataset, rule });
    const title7 = `Fig. 7 (${name}): effect of alpha on the stopping criterion`;
    const censored = pts7.reduce((n, p) => n + p.censored, 0);
    await add({
      id: `fig7-${dataset}`,
      number: 7,
      dataset,
      title: title7,
      caption:
        `Queries and accuracy at the stop, per alpha, of the entropy runs (rule ${rule}: ${
          ruleText(rule)
        }). Small points are repeats, diamonds the mean with min–max whiskers` +
        (censored > 0
          ? `; ${censored} run(s) never met the rule and are drawn at the run's end (crosses).`
          : "."),
      spec: stopSpec(stops, pts7, { title: title7 }),
    }, pts7.length > 0);
  }
  return figures.sort((a, b) =>
    a.number - b.number || (a.dataset < b.dataset ? -1 : a.dataset > b.dataset ? 1 : 0)
  );
}

function clusterRank(series: string): number {
  if (series === "random") return -1;
  const m = /^cluster-(\d+)/.exec(series);
  return m ? Number(m[1]) : Number.MAX_SAFE_INTEGER;
}

function ruleText(rule: string): string {
  return STOPPING_RULE_TEXT[rule as StoppingRuleName] ?? "a rule of lib/active/stopping.ts";
}
