import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { analyzePipeline, type Graph, selectInstances } from "../../lib/pipeline/mod.ts";
import {
  assignLpt,
  classifyInstances,
  expectedCosts,
  planShard,
} from "../../lib/pipeline/shard.ts";
import { cleanup, cli, copyFixture, exists, fixturePath, reproJson } from "./_helpers.ts";

const REPO_PIPELINE = fileURLToPath(new URL("../../pipeline.yaml", import.meta.url));

async function analyze(file: string, profile?: string): Promise<Graph> {
  const r = await analyzePipeline(file, profile ? { profile } : {});
  assert.ok(r.ok, r.ok ? "" : JSON.stringify(r.diagnostics));
  return r.graph;
}

function shards(g: Graph, n: number) {
  return Array.from(
    { length: n },
    (_, k) => selectInstances(g, { shard: { index: k + 1, count: n } }),
  );
}

Deno.test("shards: the paper profile splits 4 ways, balanced, shared upstream once, sinks out", async () => {
  const g = await analyze(REPO_PIPELINE, "paper");
  const all = shards(g, 4);
  const plans = all.map((s) => s.shard!);
  // prepare, target and ceiling (one per dataset, read by many) are the shared upstream.
  const isMatrixFanOut = (n: string) => !/^(prepare|target|ceiling|plots|report)(@|$)/.test(n);
  const fanOut = g.instances.map((i) => i.name).filter(isMatrixFanOut);
  // every matrix (fan-out) instance in exactly one shard
  assert.deepEqual(plans.flatMap((p) => p.own).sort(), [...fanOut].sort());
  // prepare/target/ceiling run in at most one shard (shard 1); the others wait for them
  const running = all.map((s, k) =>
    s.selected.filter((n) => !plans[k]!.waits || plans[k]!.own.includes(n))
  );
  const shared = /^(prepare|target|ceiling)@/;
  const sharedRuns = running.map((r) => r.filter((n) => shared.test(n)).length);
  assert.deepEqual(sharedRuns, [6, 0, 0, 0]);
  assert.ok(plans.slice(1).every((p) => p.waits && p.shared.every((n) => shared.test(n))));
  // no shard plans plots or report
  assert.ok(all.every((s) => !s.selected.some((n) => n === "plots" || n === "report")));
  assert.deepEqual(plans[0]!.aggregating, ["plots", "report"]);
  // balanced: planned instances per shard within 1.3x the mean (equal costs on an empty cache)
  const counts = running.map((r) => r.length);
  const mean = counts.reduce((a, b) => a + b, 0) / counts.length;
  assert.ok(Math.max(...counts) <= 1.3 * mean, `counts ${counts} mean ${mean}`);
  assert.deepEqual(plans[0]!.loads, counts);
  assert.equal(counts.reduce((a, b) => a + b, 0), g.instances.length - 2);
});

Deno.test("shards: --dry --json plans shared upstream as waited for, never the sinks", async () => {
  const dir = copyFixture("scale");
  try {
    const file = join(dir, "pipeline.yaml");
    const seen = new Map<string, number>();
    for (let k = 1; k <= 3; k++) {
      const r = await cli(["repro", "--pipeline", file, "--dry", "--json", "--shard", `${k}/3`]);
      assert.equal(r.code, 0, r.stderr);
      const res = JSON.parse(r.stdout) as { ran: string[]; awaited: string[] };
      assert.match(r.stderr, new RegExp(`shard ${k}/3: .*aggregating .*: summary, report`));
      for (const n of res.ran) seen.set(n, (seen.get(n) ?? 0) + 1);
      if (k === 1) assert.deepEqual(res.awaited, []);
      else {assert.ok(
          res.awaited.length > 0 && res.awaited.every((n) => /^(prepare|target)@/.test(n)),
        );}
      assert.ok(!res.ran.includes("summary") && !res.ran.includes("report"));
    }
    const g = await analyze(file);
    const expected = g.instances.map((i) => i.name).filter((n) =>
      n !== "summary" && n !== "report"
    );
    assert.deepEqual([...seen.keys()].sort(), expected.sort());
    assert.ok([...seen.values()].every((c) => c === 1), JSON.stringify([...seen]));
  } finally {
    cleanup(dir);
  }
});

Deno.test("shards: run in clones sharing a cache, each instance once; a plain repro runs only the sinks", async () => {
  const cache = Deno.makeTempDirSync({ prefix: "quarry-shared-cache-" });
  const clones = [1, 2, 3, 4].map(() => copyFixture("scale"));
  try {
    const ranBy: string[][] = [];
    // shard 1 first: shards 2 and 3 find the shared upstream already in the cache
    for (let k = 1; k <= 3; k++) {
      const r = await reproJson(clones[k - 1]!, ["--cache", cache, "--shard", `${k}/3`]);
      assert.equal(r.code, 0, r.stderr);
      ranBy.push(r.result.ran!);
    }
    const ran = ranBy.flat();
    assert.equal(new Set(ran).size, ran.length, `an instance ran twice: ${ran}`);
    assert.deepEqual(ranBy[0]!.filter((n) => /^(prepare|target)@/.test(n)).length, 4);
    const last = await reproJson(clones[3]!, ["--cache", cache]);
    assert.equal(last.code, 0, last.stderr);
    assert.deepEqual(last.result.ran, ["summary", "report"]);
    // the same outs as one machine running everything
    const solo = await reproJson(clones[0]!, ["--cache", Deno.makeTempDirSync(), "--force"]);
    assert.equal(solo.code, 0);
    assert.equal(
      Deno.readTextFileSync(join(clones[3]!, "out/report.txt")),
      Deno.readTextFileSync(join(clones[0]!, "out/report.txt")),
    );
  } finally {
    for (const c of clones) cleanup(c);
    cleanup(cache);
  }
});

Deno.test("shards: a waiting shard picks up shard 1's shared upstream as it appears", async () => {
  const cache = Deno.makeTempDirSync({ prefix: "quarry-shared-cache-" });
  const [one, two] = [copyFixture("scale"), copyFixture("scale")];
  try {
    // shard 2 starts first and waits; shard 1 starts once shard 2 holds its workspace (and a
    // moment more: on a loaded machine shard 2 may still find some of the upstream already there)
    const waiting = reproJson(two!, ["--cache", cache, "--shard", "2/3", "--shard-wait", "120"]);
    while (!exists(join(two!, ".quarry", "repro.pid"))) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 300));
    const first = await reproJson(one!, ["--cache", cache, "--shard", "1/3"]);
    assert.equal(first.code, 0, first.stderr);
    const second = await waiting;
    assert.equal(second.code, 0, second.stderr);
    assert.match(
      second.stderr,
      /shard 2\/3: waiting for (prepare|target)@[ab] \(shard 1 produces it\)/,
    );
    assert.ok(
      second.result.ran!.every((n) => !/^(prepare|target)@/.test(n)),
      second.result.ran!.join(),
    );
    assert.ok(second.result.ran!.length > 0);
  } finally {
    cleanup(one!);
    cleanup(two!);
    cleanup(cache);
  }
});

Deno.test("shards: a shard that waits in vain fails with a clear message and runs no upstream", async () => {
  const dir = copyFixture("scale");
  try {
    const r = await reproJson(dir, ["--shard", "2/3", "--shard-wait", "0.3"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /shard 2\/3: waited 0\.3 s for shared upstream prepare@a/);
    assert.match(r.stderr, /--shard-wait SECONDS/);
    assert.deepEqual(r.result.ran, []);
    const bad = await cli(["repro", "--pipeline", join(dir, "pipeline.yaml"), "--shard-wait", "x"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /Invalid --shard-wait "x"/);
  } finally {
    cleanup(dir);
  }
});

Deno.test("classifyInstances(): aggregating, shared upstream and fan-out units", async () => {
  const g = await analyze(join(fixturePath("scale"), "pipeline.yaml"));
  // for 2 shards: a unit may hold at most half a shard's share (3 of the 12 fan-out instances)
  const c = classifyInstances(g, g.instances.map((i) => i.name), 2);
  assert.deepEqual(c.aggregating, ["summary", "report"]);
  assert.deepEqual(c.shared, ["prepare@a", "prepare@b", "target@a", "target@b"]);
  assert.deepEqual(c.units, [
    ["work@a-0", "chain@a"],
    ["work@a-1"],
    ["work@a-2"],
    ["work@b-0", "chain@b"],
    ["work@b-1"],
    ["work@b-2"],
  ]);
  // a selection without the sinks: nothing aggregating; prepare@a still feeds two instances
  const part = classifyInstances(g, ["prepare@a", "target@a", "work@a-0", "chain@a"], 2);
  assert.deepEqual(part.aggregating, []);
  assert.deepEqual(part.shared, ["prepare@a"]);
  assert.deepEqual(part.units, [["target@a", "work@a-0", "chain@a"]]);
  // one shard: nothing is too big to stay together, so nothing is cut
  const one = classifyInstances(g, g.instances.map((i) => i.name), 1);
  assert.deepEqual(one.shared, []);
  assert.equal(one.units.length, 2);
});

Deno.test("assignLpt() and expectedCosts(): largest first to the least loaded, recorded costs win", async () => {
  assert.deepEqual(assignLpt([3, 3, 2, 2, 2], 2), { bins: [0, 1, 0, 1, 0], loads: [7, 5] });
  assert.deepEqual(assignLpt([1, 1, 1], 2, [2]), { bins: [1, 1, 0], loads: [3, 2] });
  const g = await analyze(join(fixturePath("scale"), "pipeline.yaml"));
  const names = ["work@a-0", "work@a-1", "chain@a", "prepare@a"];
  const costs = expectedCosts(g, names, new Map([["work@a-0", 10], ["chain@b", 4]]));
  // own record, then the stage's mean, then the mean of all records
  assert.deepEqual([...costs.values()], [10, 10, 4, 7]);
  assert.deepEqual([...expectedCosts(g, names).values()], [1, 1, 1, 1]);
  // a costly unit gets a shard of its own; the cheap rest goes to the other
  const recorded = new Map(g.instances.filter((i) => i.stage !== "work").map((i) => [i.name, 1]));
  for (const n of ["a-0", "a-1", "a-2", "b-0", "b-1"]) recorded.set(`work@${n}`, 1);
  recorded.set("work@b-2", 100);
  const every = g.instances.map((i) => i.name);
  const plans = [1, 2, 3].map((k) => planShard(g, every, { index: k, count: 3 }, recorded));
  assert.deepEqual(plans[0]!.loads, [6, 100, 5]);
  assert.deepEqual(plans[1]!.own, ["work@b-2"]);
  assert.deepEqual(plans[1]!.shared, ["prepare@b", "target@b"]);
  assert.equal(plans[0]!.own.length + plans[2]!.own.length, 7);
});

Deno.test("shards: --shard balances by the recorded durations in .quarry/timing.json", async () => {
  const dir = copyFixture("scale");
  try {
    const g = await analyze(join(dir, "pipeline.yaml"));
    const instances = Object.fromEntries(
      g.instances.map((i) => [i.name, { meanSeconds: i.name === "work@b-2" ? 100 : 1 }]),
    );
    Deno.mkdirSync(join(dir, ".quarry"), { recursive: true });
    Deno.writeTextFileSync(
      join(dir, ".quarry/timing.json"),
      JSON.stringify({ version: 1, instances }),
    );
    const file = join(dir, "pipeline.yaml");
    const r = await cli(["repro", "--pipeline", file, "--dry", "--json", "--shard", "2/3"]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).ran, ["work@b-2"]);
    assert.match(r.stderr, /shard 2\/3: 1 fan-out instance\(s\), expected cost 100 of 111/);
  } finally {
    cleanup(dir);
  }
});

Deno.test("shards: --check reruns a shard's share; a waiting shard restores shard 1's upstream", async () => {
  const cache = Deno.makeTempDirSync({ prefix: "quarry-shared-cache-" });
  const [ref, one, two] = [copyFixture("scale"), copyFixture("scale"), copyFixture("scale")];
  try {
    assert.equal((await reproJson(ref!)).code, 0);
    for (const c of [one!, two!]) {
      Deno.copyFileSync(join(ref!, "pipeline.lock"), join(c, "pipeline.lock"));
    }
    const first = await reproJson(one!, ["--cache", cache, "--shard", "1/2", "--check"]);
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(first.result.mismatched, []);
    assert.ok(first.result.ran!.includes("target@b"));
    const second = await reproJson(two!, ["--cache", cache, "--shard", "2/2", "--check"]);
    assert.equal(second.code, 0, second.stderr);
    assert.ok(second.result.ran!.length > 0);
    assert.ok(
      second.result.ran!.every((n) => !/^(prepare|target)@/.test(n)),
      second.result.ran!.join(),
    );
    assert.equal(
      Deno.readTextFileSync(join(two!, "pipeline.lock")),
      Deno.readTextFileSync(join(ref!, "pipeline.lock")),
    );
  } finally {
    for (const d of [ref!, one!, two!, cache]) cleanup(d);
  }
});
