import assert from "node:assert/strict";
import { typeMisfit } from "../../../lib/pipeline/analyze/params.ts";
import { analyzeInline, heads } from "./_inline.ts";

const PARAMS = "params:\n  active:\n    seed: 0\n    model: lenet\n  patience: null\n" +
  "  sizes: [1, 2]\n";
const STAGES =
  "stages:\n  a:\n    run: stages/ok.ts\n    params: [active]\n    outs: [out/a.txt]\n";
const YAML = PARAMS + STAGES;

Deno.test("params: --set may not change a param's shape (a mapping stays a mapping)", async () => {
  const r = await analyzeInline(YAML, { set: [{ key: "active", value: 5 }] });
  assert.ok(!r.ok);
  assert.deepEqual(r.diagnostics.map((d) => [d.field, d.message]), [[
    "--set active",
    'Invalid value for param "active" in --set: expected a mapping (as in params), got 5',
  ]]);
});

Deno.test("params: --set of a scalar of another type, and of a list, are refused with the key", async () => {
  const r = await analyzeInline(YAML, {
    set: [{ key: "active.seed", value: "zero" }, { key: "sizes", value: 3 }],
  });
  assert.deepEqual(heads(r), [
    'Invalid value for param "active.seed" in --set: expected a number (as in params), got "zero"',
    'Invalid value for param "sizes" in --set: expected a list (as in params), got 3',
  ]);
});

Deno.test("params: --set that fits passes (null accepts a value, lists replace lists)", async () => {
  const r = await analyzeInline(YAML, {
    set: [{ key: "patience", value: 3 }, { key: "sizes", value: [5] }, {
      key: "active.model",
      value: "lenet",
    }],
  });
  assert.ok(r.ok);
  assert.deepEqual(r.graph.params.sizes, [5]);
});

Deno.test("params: a profile that replaces a mapping with a scalar is refused at its line", async () => {
  const r = await analyzeInline(`${PARAMS}profiles:\n  tiny:\n    active: 3\n${STAGES}`);
  assert.deepEqual(heads(r), [
    'pipeline.yaml:9:13: Invalid value for param "active" in profiles.tiny: expected a mapping (as in params), got 3',
  ]);
});

Deno.test("params: an alias in a params file is refused there", async () => {
  const r = await analyzeInline(
    "params: params.yaml\nstages:\n  a:\n    run: stages/ok.ts\n    params: [b]\n    outs: [o.txt]\n",
    {},
    { "params.yaml": "a: &x 1\nb: *x\n" },
  );
  assert.deepEqual(heads(r).map((h) => h.replace(/in ".*params\.yaml"/, 'in "params.yaml"')), [
    'params.yaml:2:4: Unsupported YAML alias "*x" in "params.yaml": write the value out (aliases and merge keys are not resolved)',
  ]);
});

Deno.test("typeMisfit() compares shapes", () => {
  assert.equal(typeMisfit(1, 2), undefined);
  assert.equal(typeMisfit(null, "x"), undefined);
  assert.equal(typeMisfit("x", null), undefined);
  assert.match(typeMisfit({ a: 1 }, [1])!, /expected a mapping/);
  assert.match(typeMisfit(null, { a: 1 })!, /expected null/);
  assert.match(typeMisfit(true, "yes")!, /expected a boolean/);
});
