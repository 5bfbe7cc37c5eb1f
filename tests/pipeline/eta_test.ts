import assert from "node:assert/strict";
import {
  estimateRemaining,
  formatDuration,
  formatEta,
  instanceCosts,
  recordedCosts,
} from "../../lib/pipeline/eta.ts";
import { ConsoleReporter } from "../../lib/pipeline/reporter.ts";
import type { Timings } from "../../lib/pipeline/timing.ts";
import { join } from "node:path";
import { cleanup, cli, copyFixture } from "./_helpers.ts";

const rec = (meanSeconds: number) => ({
  key: "k",
  seconds: meanSeconds,
  meanSeconds,
  runs: 1,
  measures: {},
});

// target -> 4 selects -> report: a small fan-out like the paper grid's.
const nodes = [
  { name: "target", stage: "target", upstream: [] },
  ...[0, 1, 2, 3].map((i) => ({ name: `select@r${i}`, stage: "select", upstream: ["target"] })),
  {
    name: "report",
    stage: "report",
    upstream: ["select@r0", "select@r1", "select@r2", "select@r3"],
  },
];
const all = new Set(nodes.map((n) => n.name));

Deno.test("estimateRemaining list-schedules the DAG on the given number of jobs", () => {
  const costs = new Map([["target", 100], ["report", 10]]);
  for (let i = 0; i < 4; i++) costs.set(`select@r${i}`, 60);
  assert.equal(estimateRemaining(nodes, all, costs, 1).seconds, 100 + 240 + 10);
  assert.equal(estimateRemaining(nodes, all, costs, 2).seconds, 100 + 120 + 10);
  assert.equal(estimateRemaining(nodes, all, costs, 4).seconds, 100 + 60 + 10);
  assert.equal(
    estimateRemaining(nodes, all, costs, 8).seconds,
    100 + 60 + 10,
    "no more parallelism",
  );
  // Only what is pending counts: the target is done.
  const noTarget = new Set([...all].filter((n) => n !== "target"));
  assert.equal(estimateRemaining(nodes, noTarget, costs, 2).seconds, 130);
  // A running instance holds a worker for what is left of its cost.
  const running = estimateRemaining(nodes, all, costs, 2, new Map([["target", 40]]));
  assert.equal(running.seconds, 60 + 120 + 10);
  // Unequal costs: the free worker takes the next ready instance (3 of 60 s + one of 30 s).
  costs.set("select@r3", 30);
  assert.equal(estimateRemaining(nodes, noTarget, costs, 2).seconds, 130);
});

Deno.test("instanceCosts uses an instance's record, else its stage's mean, else nothing", () => {
  const timings: Timings = {
    version: 1,
    instances: { "select@r0": rec(50), "select@r1": rec(70), "target": rec(100) },
  };
  const costs = instanceCosts(nodes, timings);
  assert.equal(costs.get("select@r0"), 50);
  assert.equal(costs.get("select@r2"), 60, "stage mean");
  assert.equal(costs.get("target"), 100);
  assert.equal(costs.has("report"), false);
  const eta = estimateRemaining(nodes, all, costs, 2);
  assert.equal(eta.known, 5);
  assert.equal(eta.unknown, 1);
  assert.equal(eta.seconds, 100 + 130, "r0 50 + r2 60 on one worker, r1 70 + r3 60 on the other");
  assert.equal(
    formatEta(eta),
    "about 4 min left at 2 jobs (1 instance(s) never ran here, not counted)",
  );
});

Deno.test("recordedCosts ignores records that are negative or not finite", () => {
  const costs = recordedCosts(
    nodes,
    new Map([["select@r0", 50], ["select@r1", -3], ["select@r2", NaN], ["target", Infinity]]),
  );
  assert.equal(costs.get("select@r0"), 50);
  assert.equal(costs.get("select@r1"), 50, "its own record is invalid: the stage mean");
  assert.equal(costs.has("target"), false);
});

Deno.test("formatDuration and formatEta read like a plan", () => {
  assert.equal(formatDuration(42), "42 s");
  assert.equal(formatDuration(12 * 60 + 10), "12 min");
  assert.equal(formatDuration(3 * 3600 + 10 * 60 + 5), "3 h 10 min");
  assert.equal(formatDuration(2 * 3600), "2 h");
  assert.equal(
    formatEta({ seconds: 3 * 3600 + 600, known: 3, unknown: 0, jobs: 2 }),
    "about 3 h 10 min left at 2 jobs",
  );
  assert.match(
    formatEta({ seconds: 0, known: 0, unknown: 2, jobs: 1 }),
    /^unknown: none of the 2 instance\(s\)/,
  );
});

Deno.test("the reporter prints the estimate first and the time left after each instance that ran", () => {
  const lines: string[] = [];
  let now = 0;
  const costs = new Map([["target", 600], ["report", 60]]);
  for (let i = 0; i < 4; i++) costs.set(`select@r${i}`, 1200);
  const reporter = new ConsoleReporter({
    writeLine: (l) => lines.push(l),
    total: nodes.length,
    eta: { nodes, pending: all, costs, jobs: 2 },
    now: () => now,
  });
  assert.deepEqual(lines, ["estimate: about 51 min left at 2 jobs"]);
  reporter.handle({ type: "start", name: "target" });
  now = 300;
  assert.equal(reporter.etaText(), "about 46 min left at 2 jobs", "half the target is done");
  now = 600;
  reporter.handle({ type: "finish", name: "target", outcome: "ran", seconds: 600 });
  assert.match(lines[1]!, /^ran +target 600\.00 s \(about 41 min left at 2 jobs\)$/);
});

Deno.test("recordedCosts estimates from the recorded instances most alike", () => {
  const select = (strategy: string, repeat: number) => ({
    name: `select@${strategy}-${repeat}`,
    stage: "select",
    upstream: [],
    vars: { strategy, repeat },
  });
  const ns = [select("random", 0), select("dfal", 0), select("random", 1), select("dfal", 1)];
  const costs = recordedCosts(ns, new Map([["select@random-0", 70], ["select@dfal-0", 900]]));
  assert.equal(costs.get("select@random-1"), 70, "same strategy");
  assert.equal(costs.get("select@dfal-1"), 900);
  const other = recordedCosts([...ns, select("margin", 1)], new Map([["select@random-0", 70]]));
  assert.equal(other.get("select@margin-1"), 70, "no closer peer: the stage's mean");
});

Deno.test("with no record, the reporter estimates from the instances that ran in this run", () => {
  const lines: string[] = [];
  const reporter = new ConsoleReporter({
    writeLine: (l) => lines.push(l),
    total: nodes.length,
    eta: { nodes, pending: all, costs: new Map(), jobs: 2 },
    now: () => 0,
  });
  assert.match(lines[0]!, /^estimate: unknown/);
  reporter.handle({ type: "finish", name: "target", outcome: "ran", seconds: 600 });
  assert.match(lines[1]!, /\(unknown: none of the 5 instance/, "no select has run yet");
  reporter.handle({ type: "finish", name: "select@r0", outcome: "ran", seconds: 1200 });
  // r1..r3 at r0's 1200 s on 2 workers: 2400 s; the report never ran here.
  assert.match(
    lines[2]!,
    /^ran +select@r0 1200\.00 s \(about 40 min left at 2 jobs \(1 instance\(s\) never ran/,
  );
});

Deno.test("repro --dry and repro show the time left from the timing record", async () => {
  const dir = copyFixture("basic");
  const pipeline = join(dir, "pipeline.yaml");
  try {
    const first = await cli(["repro", "--pipeline", pipeline]);
    assert.equal(first.code, 0);
    // Nothing ran here before: unknown at first, then learnt from the instances that ran.
    assert.match(first.stdout, /^estimate: unknown: none of the 3 instance\(s\)/m);
    assert.match(first.stdout, /^ran +gen@\w+ .* s \(about \d+ s left at \d jobs? \(1 instance/m);
    const dry = await cli(["repro", "--pipeline", pipeline, "--dry", "--force", "-j", "2"]);
    assert.match(dry.stdout, /^estimate: about \d+ s left at 2 jobs$/m);
    const again = await cli(["repro", "--pipeline", pipeline, "--force", "-j", "1"]);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /^estimate: about \d+ s left at 1 job$/m);
    assert.match(again.stdout, /^ran +gen@alpha .* s \(about \d+ s left at 1 job\)$/m);
  } finally {
    cleanup(dir);
  }
});
