import assert from "node:assert/strict";
import { join } from "node:path";
import { analyzePipeline, parseShard, selectInstances } from "../../lib/pipeline/mod.ts";
import { fixturePath } from "./_helpers.ts";

async function graph() {
  const r = await analyzePipeline(join(fixturePath("matrix"), "pipeline.yaml"));
  assert.ok(r.ok);
  return r.graph;
}

Deno.test("selectInstances() takes targets with their upstream, or their downstream", async () => {
  const g = await graph();
  const up = selectInstances(g, { targets: ["summary@fashion"] });
  assert.equal(up.selected.length, 7);
  assert.deepEqual([...up.targeted], ["summary@fashion"]);
  assert.ok(up.selected.every((n) => n === "summary@fashion" || n.startsWith("train@fashion-")));
  const down = selectInstances(g, { targets: ["train@mnist-entropy-0"], downstream: true });
  assert.deepEqual(down.selected, ["train@mnist-entropy-0", "summary@mnist"]);
  const glob = selectInstances(g, { targets: ["train@*-random-1"] });
  assert.deepEqual(glob.selected, ["train@mnist-random-1", "train@fashion-random-1"]);
  assert.throws(() => selectInstances(g, { targets: ["nope"] }), /Unknown target "nope"/);
});

Deno.test("selectInstances() shards partition the instances deterministically", async () => {
  const g = await graph();
  const shards = [1, 2, 3].map((i) => selectInstances(g, { shard: { index: i, count: 3 } }));
  const targeted = shards.flatMap((s) => [...s.targeted]).sort();
  assert.deepEqual(targeted, g.instances.map((i) => i.name).sort());
  assert.deepEqual(
    [...selectInstances(g, { shard: { index: 2, count: 3 } }).targeted],
    [...shards[1]!.targeted],
  );
  for (const s of shards) {
    for (const n of s.targeted) {
      const inst = g.instances.find((i) => i.name === n)!;
      assert.ok(inst.upstream.every((u) => s.selected.includes(u)), "a shard carries its upstream");
    }
  }
  assert.deepEqual(parseShard("2/3"), { index: 2, count: 3 });
  assert.throws(() => parseShard("4/3"), /Invalid --shard "4\/3"/);
});
