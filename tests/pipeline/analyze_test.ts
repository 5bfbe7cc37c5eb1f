import assert from "node:assert/strict";
import { join } from "node:path";
import { analyzePipeline, formatDiagnostic, interpolate } from "../../lib/pipeline/mod.ts";
import { cli, fixturePath } from "./_helpers.ts";

const INVALID = fixturePath("invalid");

// A file with a YAML syntax error is written at test time: `deno fmt --check` would reject it.
const SYNTAX = Deno.makeTempDirSync({ prefix: "quarry-syntax-" });
Deno.writeTextFileSync(
  join(SYNTAX, "syntax.yaml"),
  "stages:\n  a:\n    run: stages/ok.ts\n    outs: [out/a.txt\n",
);

async function firstError(file: string): Promise<string> {
  const r = await analyzePipeline(join(file === "syntax.yaml" ? SYNTAX : INVALID, file));
  assert.ok(!r.ok, `${file} should not validate`);
  return formatDiagnostic(r.diagnostics[0]!);
}

const CASES: [string, string, RegExp, string?][] = [
  ["syntax.yaml", "5:1", /YAML syntax error: Flow sequence/],
  [
    "unknown_key.yaml",
    "4:5",
    /Unknown key "dpes" in stages\.a: expected one of "run", "desc", "deps"/,
  ],
  [
    "missing_run.yaml",
    "3:10",
    /Missing run module in stages\.a\.run: "stages\/nope\.ts" not found/,
  ],
  ["no_run_export.yaml", "3:10", /expected an exported async function run\(ctx\)/],
  ["unknown_param.yaml", "7:27", /Unknown param key "train\.epochs" in stages\.a\.params/],
  ["out_clash.yaml", "7:12", /Two instances write one out: "out\/same\.txt" is written by a and b/],
  ["nested_outs.yaml", "7:12", /Nested outs: "out\/b\.txt" \(b\) lies inside "out\/" \(a\)/],
  [
    "missing_dep.yaml",
    "4:23",
    /Missing dep "data\/absent\.txt" in stages\.a\.deps .*no stage produces it/,
  ],
  ["cycle.yaml", "8:12", /Dependency cycle through stages "a", "b", "c": a -> b -> c -> a/],
  // The issue lies in the params file the pipeline names, so it is reported there.
  [
    "params_file.yaml",
    "3:10",
    /Invalid param "train\.batch" for a: expected a positive integer, got -1/,
    "params_bad.yaml",
  ],
  [
    "bad_param_value.yaml",
    "7:14",
    /Invalid param "train\.batch" for a: expected a positive integer, got 0/,
  ],
];

for (const [file, pos, message, shown] of CASES) {
  Deno.test(`analyzePipeline() reports ${file} at its position`, async () => {
    const text = await firstError(file);
    const head = text.split("\n")[0]!;
    assert.ok(head.includes(`${shown ?? file}:${pos}: `), head);
    assert.match(head, message);
  });
}

Deno.test("analyzePipeline() names every edge of a cycle and excerpts the source", async () => {
  const text = await firstError("cycle.yaml");
  assert.match(text, /cycle\.yaml:12:12/);
  assert.match(text, /cycle\.yaml:4:12/);
  assert.match(text, /\n {8}deps: \[out\/a\.txt\]\n {15}~{9}/);
});

Deno.test("an invalid pipeline runs nothing and exits 2", async () => {
  const r = await cli(["repro", "--pipeline", join(INVALID, "cycle.yaml")]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /nothing ran/);
  assert.equal(r.stdout, "");
});

Deno.test("analyzePipeline() expands matrices in key order, lists from params, profiles shrink the grid", async () => {
  const file = join(fixturePath("matrix"), "pipeline.yaml");
  const full = await analyzePipeline(file);
  assert.ok(full.ok);
  const names = full.graph.instances.map((i) => i.name);
  assert.equal(names.length, 2 * 2 * 3 + 2);
  assert.deepEqual(names.slice(0, 4), [
    "train@mnist-entropy-0",
    "train@mnist-entropy-1",
    "train@mnist-entropy-2",
    "train@mnist-random-0",
  ]);
  const one = full.graph.instances.find((i) => i.name === "train@fashion-random-2")!;
  assert.deepEqual(one.vars, { dataset: "fashion", strategy: "random", repeat: 2 });
  assert.deepEqual(one.outs, ["out/fashion/random-r2.json"]);
  assert.deepEqual(one.params, { lr: 0.1 });
  const summary = full.graph.instances.find((i) => i.name === "summary@mnist")!;
  assert.equal(summary.upstream.length, 6);
  assert.ok(summary.upstream.every((u) => u.startsWith("train@mnist-")));

  const smoke = await analyzePipeline(file, { profile: "smoke", set: [{ key: "lr", value: 0.5 }] });
  assert.ok(smoke.ok);
  assert.deepEqual(smoke.graph.instances.map((i) => i.name), [
    "train@mnist-entropy-0",
    "train@mnist-random-0",
    "summary@mnist",
  ]);
  assert.equal(smoke.graph.profile, "smoke");
  assert.deepEqual(smoke.graph.instances[0]!.params, { lr: 0.5 });
});

Deno.test("analyzePipeline() rejects an unknown profile and an unknown --set key", async () => {
  const file = join(fixturePath("matrix"), "pipeline.yaml");
  const r = await analyzePipeline(file, { profile: "nope", set: [{ key: "nope.x", value: 1 }] });
  assert.ok(!r.ok);
  const messages = r.diagnostics.map((d) => d.message);
  assert.ok(messages.some((m) => m.startsWith('Unknown profile "nope": expected one of "smoke"')));
  assert.ok(messages.some((m) => m.startsWith('Unknown param key "nope.x" in --set')));
});

Deno.test("interpolate() resolves vars and params and reports unknown names", () => {
  assert.equal(interpolate("a/${x}/${params.p.q}", { x: 1 }, { p: { q: "z" } }), "a/1/z");
  const bad = interpolate("${y}", { x: 1 }, {});
  assert.ok(typeof bad === "object" && /unknown variable "y"/.test(bad.error));
});

Deno.test("dag renders text and Mermaid", async () => {
  const file = join(fixturePath("matrix"), "pipeline.yaml");
  const text = await cli(["dag", "--pipeline", file]);
  assert.equal(text.stdout, "train (12 instances)\nsummary (2 instances) <- train\n");
  const mermaid = await cli(["dag", "--mermaid", "--pipeline", file]);
  assert.equal(
    mermaid.stdout,
    'flowchart TD\n  s0["train ×12"]\n  s1["summary ×2"]\n  s0 --> s1\n',
  );
});

Deno.test("validate() issues on a matrix value point at that value", async () => {
  const r = await analyzePipeline(join(INVALID, "bad_param_value.yaml"));
  assert.ok(!r.ok);
  const text = formatDiagnostic(r.diagnostics[1]!);
  assert.match(
    text,
    /bad_param_value\.yaml:17:17: Invalid param "size" for b@-2: expected a size >= 0, got -2/,
  );
});

Deno.test("analyzePipeline() skips importing a module whose validation passed before", async () => {
  const added: string[] = [];
  const memo = (known: boolean) => ({
    codeDigest: () => Promise.resolve("digest"),
    has: () => known,
    add: (k: string) => void added.push(k),
  });
  const file = join(fixturePath("matrix"), "pipeline.yaml");
  assert.ok((await analyzePipeline(file, { validationMemo: memo(false) })).ok);
  assert.equal(added.length, 1, "one module, one passed key");
  // A memo hit means the module is not imported, so even its validate() is not called.
  const bad = join(INVALID, "bad_param_value.yaml");
  assert.ok(!(await analyzePipeline(bad, { validationMemo: memo(false) })).ok);
  assert.ok((await analyzePipeline(bad, { validationMemo: memo(true) })).ok);
});
