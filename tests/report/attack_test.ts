import { deepEqual, equal, match, ok, rejects } from "node:assert/strict";
import { run as runReport, validate } from "../../stages/report.ts";
import type { ParamValue, StageContext } from "../../lib/pipeline/stage_context.ts";

const FIXTURES = new URL("../fixtures/report/", import.meta.url).pathname;
const DEPS = ["select/", "seeding/", "seed_size/", "stopping/mnist/", "target/"].map((d) =>
  `${FIXTURES}${d}`
);
/** A hand-made log: an unknown caller, alice, mallory's attack (then over budget), bob limited. */
const LOG = `${FIXTURES}access/access.jsonl`;

function ctx(deps: string[], out: string, params: Record<string, ParamValue> = {}): StageContext {
  return {
    name: "report",
    vars: {},
    params: { "report.budgets": [1000, 1500, 2000, 2500], ...params },
    deps,
    outs: [out],
    progress: () => {},
  };
}

Deno.test("report.access_log adds the defender's view; unset, the page is as before", async () => {
  const dir = await Deno.makeTempDir({ prefix: "quarry_report_attack_" });
  try {
    await runReport(ctx(DEPS, `${dir}/off/`));
    await runReport(ctx([...DEPS, LOG], `${dir}/on/`, { "report.access_log": LOG }));
    const off = await Deno.readTextFile(`${dir}/off/index.html`);
    const on = await Deno.readTextFile(`${dir}/on/index.html`);
    ok(!off.includes("attack"));
    const section = /<section id="attack">[\s\S]*?<\/section>\n/.exec(on)?.[0] ?? "";
    match(section, /<h2>What an attack looked like<\/h2>/);
    // Per key: requests, images answered, statuses, first, last, peak per 1 s bucket.
    const rows = [...section.matchAll(/<tr><td>([^<]*)<\/td>((?:<td[^>]*>[^<]*<\/td>){6})/g)]
      .map((m) => [m[1], ...[...m[2]!.matchAll(/<td[^>]*>([^<]*)<\/td>/g)].map((c) => c[1])]);
    deepEqual(rows, [
      ["(none)", "1", "0", "401: 1", "2026-12-01T20:00:00.100Z", "2026-12-01T20:00:00.100Z", "0"],
      ["alice", "1", "2", "200: 1", "2026-12-01T20:00:00.200Z", "2026-12-01T20:00:00.200Z", "2"],
      ["bob", "1", "0", "429: 1", "2026-12-01T20:00:02.150Z", "2026-12-01T20:00:02.150Z", "0"],
      [
        "mallory",
        "5",
        "300",
        "200: 4, 429: 1",
        "2026-12-01T20:00:00.500Z",
        "2026-12-01T20:00:02.100Z",
        "200",
      ],
    ]);
    // Queries over time: the chart and the per-bucket table.
    match(section, /<figure id="attack-queries" class="fig">\n<svg/);
    const svg = /<svg[\s\S]*<\/svg>/.exec(section)?.[0] ?? "";
    ok(svg.includes(">mallory<") && svg.includes(">alice<"), "one line per key, in the legend");
    ok(!/ id="(?!attack-)/.test(svg), "the chart's ids, if any, are namespaced");
    match(section, /Per bucket \(6 rows\)/);
    match(
      section,
      /<tr><td class="num">1<\/td><td>mallory<\/td><td class="num">2<\/td><td class="num">200<\/td><td class="num">300<\/td><\/tr>/,
    );
    // Without the section and its link, the page is the page without a log, byte for byte.
    equal(on.replace(section, "").replace(' · <a href="#attack">Attack</a>', ""), off);
    // The log is no result: the claims are the same.
    equal(
      await Deno.readTextFile(`${dir}/on/claims.json`),
      await Deno.readTextFile(`${dir}/off/claims.json`),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("report.access_log: a bad value, a log not among the deps, a bad line are named", async () => {
  deepEqual(validate({ "report.access_log": 3 }, {}), [{
    param: "report.access_log",
    message: "expected null or the path of an access log, got 3",
  }]);
  deepEqual(validate({ "report.access_log": null }, {}), []);
  await rejects(
    runReport(ctx(DEPS, "/nonexistent/", { "report.access_log": LOG })),
    /Invalid param "report\.access_log" of stage report: ".*access\.jsonl" is not among its deps .*add "\$\{params\.report\.access_log\}" to deps/,
  );
  const dir = await Deno.makeTempDir({ prefix: "quarry_report_attack_" });
  try {
    const bad = `${dir}/bad.jsonl`;
    await Deno.writeTextFile(bad, (await Deno.readTextFile(LOG)) + '{"time":"yesterday"}\n');
    await rejects(
      runReport(ctx([...DEPS, bad], `${dir}/out/`, { "report.access_log": bad })),
      /Invalid access log ".*bad\.jsonl" line 9: expected \{time, key, method, path, status/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
