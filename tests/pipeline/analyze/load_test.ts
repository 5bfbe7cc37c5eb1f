import assert from "node:assert/strict";
import { analyzeInline, heads } from "./_inline.ts";

Deno.test("load: YAML aliases are refused at the alias, not passed on as objects", async () => {
  const r = await analyzeInline(
    "params:\n  base: &lr {lr: 0.1}\n  other: *lr\nstages:\n  a:\n    run: stages/ok.ts\n" +
      "    params: [other]\n    outs: [out/a.txt]\n",
  );
  assert.deepEqual(heads(r), [
    'pipeline.yaml:3:10: Unsupported YAML alias "*lr" in "pipeline.yaml": write the value out (aliases and merge keys are not resolved)',
  ]);
});

Deno.test("load: merge keys are refused once, at the key", async () => {
  const r = await analyzeInline(
    "stages:\n  a: &base\n    run: stages/ok.ts\n    outs: [out/a.txt]\n  b:\n    <<: *base\n" +
      "    outs: [out/b.txt]\n",
  );
  const h = heads(r);
  assert.equal(h.length, 1, h.join("\n"));
  assert.match(h[0]!, /^pipeline\.yaml:6:5: Unsupported YAML merge key "<<"/);
});

Deno.test("load: a non-mapping and an unknown top-level key", async () => {
  assert.deepEqual(heads(await analyzeInline("- a\n")), [
    'pipeline.yaml:1:1: Invalid pipeline in "pipeline.yaml": expected a mapping at the top level',
  ]);
  const r = await analyzeInline("stages: {}\nstges: {}\n");
  assert.match(heads(r)[0]!, /^pipeline\.yaml:2:1: Unknown key "stges" at the top level/);
});
