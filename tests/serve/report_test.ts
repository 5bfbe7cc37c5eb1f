import assert from "node:assert/strict";
import { type AccessEntry, parseAccessLog } from "../../lib/serve/access_log.ts";
import {
  attackSpec,
  formatSeriesTable,
  formatSummaryTable,
  summariseLog,
} from "../../lib/serve/report.ts";
import { renderSvg } from "../../lib/report/render.ts";

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
const entry = (s: number, key: string | null, status: number, images: number): AccessEntry => ({
  time: at(s),
  key,
  method: "POST",
  path: "/v1/predict",
  status,
  asked: images,
  images: status === 200 ? images : 0,
  latency_ms: 1,
});

const LOG = [
  entry(0, "alice", 200, 100),
  entry(1, "alice", 200, 100),
  entry(1, null, 401, 0),
  entry(12, "alice", 429, 100),
  entry(15, "bob", 200, 5),
];

Deno.test("the summary counts requests, images and refusals per key and bucket", () => {
  const s = summariseLog(LOG, 10);
  assert.equal(s.start, at(0));
  assert.deepEqual(
    s.keys.map((k) => [k.key, k.requests, k.images, k.statuses, k.peak_images_per_bucket]),
    [
      ["(none)", 1, 0, { "401": 1 }, 0],
      ["alice", 3, 200, { "200": 2, "429": 1 }, 200],
      ["bob", 1, 5, { "200": 1 }, 5],
    ],
  );
  assert.deepEqual(s.series.filter((p) => p.key === "alice"), [
    { key: "alice", t: 0, requests: 2, images: 200, cumulative: 200 },
    { key: "alice", t: 10, requests: 1, images: 0, cumulative: 200 },
  ]);
  const table = formatSummaryTable(s);
  assert.match(table, /^key\s+requests\s+images/);
  assert.match(table, /alice\s+3\s+200\s+200:2 429:1/);
  assert.deepEqual(formatSeriesTable(s).split("\n").slice(2, 6), [
    "0      (none)  1         0       0",
    "0      alice   2         200     200",
    "10     alice   1         0       200",
    "10     bob     1         5       5",
  ]);
  assert.deepEqual(summariseLog([], 1).keys, []);
  assert.throws(() => summariseLog(LOG, 0), /Invalid bucket/);
});

Deno.test("the access log parses back and its chart renders", async () => {
  const text = LOG.map((e) => JSON.stringify(e)).join("\n") + "\n\n";
  assert.deepEqual(parseAccessLog(text), LOG);
  assert.throws(() => parseAccessLog('{"time": "x"}\n', "a.jsonl"), /a\.jsonl" line 1/);
  const svg = await renderSvg(attackSpec(summariseLog(LOG, 1)));
  assert.ok(svg.startsWith("<svg") && svg.includes("alice"));
});
