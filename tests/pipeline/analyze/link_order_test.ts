import assert from "node:assert/strict";
import { findCycles } from "../../../lib/pipeline/analyze/order.ts";
import type { Instance } from "../../../lib/pipeline/graph.ts";
import { analyzeInline, heads } from "./_inline.ts";

const inst = (name: string, upstream: string[]): Instance => ({
  name,
  stage: name,
  vars: {},
  run: "stages/ok.ts",
  params: {},
  deps: [],
  outs: [],
  metrics: [],
  plots: [],
  net: [],
  upstream,
});

Deno.test("findCycles() reports each cycle once, from its smallest name", () => {
  const cycles = findCycles([inst("b", ["a"]), inst("a", ["c"]), inst("c", ["b"]), inst("d", [])]);
  assert.deepEqual(cycles, [["a", "b", "c"]]);
  assert.deepEqual(findCycles([inst("x", []), inst("y", ["x"])]), []);
});

Deno.test("link: deps resolve to producers (folders both ways); order is topological, ties declared", async () => {
  const r = await analyzeInline(
    "stages:\n  late:\n    run: stages/ok.ts\n    deps: [out/b/]\n    outs: [out/late.txt]\n" +
      "  a:\n    run: stages/ok.ts\n    outs: [out/a/]\n  b:\n    run: stages/ok.ts\n" +
      "    deps: [out/a/x.txt]\n    outs: [out/b/y.txt]\n",
  );
  assert.ok(r.ok, heads(r).join("\n"));
  assert.deepEqual(r.graph.instances.map((i) => [i.name, i.upstream]), [
    ["a", []],
    ["b", ["a"]],
    ["late", ["b"]],
  ]);
});

Deno.test("link: a dep overlapping the instance's own out is refused", async () => {
  const r = await analyzeInline(
    "stages:\n  a:\n    run: stages/ok.ts\n    deps: [out/]\n    outs: [out/a.txt]\n",
  );
  assert.deepEqual(heads(r), [
    'pipeline.yaml:4:12: Dep "out/" of a overlaps its own out "out/a.txt"',
  ]);
});
