import assert from "node:assert/strict";
import { join } from "node:path";
import { analyzePipeline } from "../../../lib/pipeline/analyze.ts";
import { crossProduct } from "../../../lib/pipeline/analyze/expand.ts";
import { cli, fixturePath } from "../_helpers.ts";
import { analyzeInline, heads } from "./_inline.ts";

const MATRIX = join(fixturePath("matrix"), "pipeline.yaml");

Deno.test("expand: a matrix count of 0 is a clear diagnostic, not a TypeError", async () => {
  const r = await analyzePipeline(MATRIX, { set: [{ key: "repeats", value: 0 }] });
  const h = heads(r);
  assert.equal(h.length, 1, h.join("\n"));
  assert.match(
    h[0]!,
    /pipeline\.yaml:16:15: Invalid stages\.train\.matrix\.repeat: "\$\{params\.repeats\}" gives no values \(0\), so the stage would have no instances/,
  );
  const empty = await analyzePipeline(MATRIX, { set: [{ key: "datasets", value: [] }] });
  assert.ok(heads(empty).every((x) => /gives no values \(\[\]\)/.test(x)), heads(empty).join());
  const viaCli = await cli(["repro", "--dry", "--pipeline", MATRIX, "--set", "repeats=0"]);
  assert.equal(viaCli.code, 2);
  assert.match(viaCli.stderr, /gives no values/);
});

Deno.test("expand: more instances than the limit are refused before expanding", async () => {
  // 2 datasets x 2 strategies x 3 repeats = 12, plus 2 summaries = 14.
  assert.ok((await analyzePipeline(MATRIX, { maxInstances: 14, importModules: false })).ok);
  const stage = heads(await analyzePipeline(MATRIX, { maxInstances: 11, importModules: false }));
  assert.deepEqual(stage.map((h) => h.replace(/^.*\//, "")), [
    "pipeline.yaml:10:3: Too many instances in stages.train.matrix: the matrix expands to 12 instances, more than the limit of 11 (raise it with --max-instances N)",
  ]);
  const total = heads(await analyzePipeline(MATRIX, { maxInstances: 13, importModules: false }));
  assert.match(
    total[0]!,
    /\/pipeline\.yaml:18:3: Too many instances: with stages\.summary the pipeline expands to 14/,
  );
  // A count past the default limit is refused without building its list (10^9 would not fit).
  const huge = await analyzePipeline(MATRIX, { set: [{ key: "repeats", value: 1e9 }] });
  assert.match(
    heads(huge)[0]!,
    /matrix\.repeat: the matrix expands to 1000000000 instances, more than the limit of 100000/,
  );
  const viaCli = await cli(["dag", "--pipeline", MATRIX, "--max-instances", "11"]);
  assert.equal(viaCli.code, 2);
  assert.match(viaCli.stderr, /more than the limit of 11/);
  const bad = await cli(["dag", "--pipeline", MATRIX, "--max-instances", "0"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /Invalid --max-instances "0": expected a positive integer/);
});

Deno.test("crossProduct() runs the last axis fastest; no axes is one point, an empty axis none", () => {
  const axis = (key: string, values: number[]) => ({
    key,
    values: values.map((value) => ({ value, node: null })),
  });
  assert.deepEqual([...crossProduct([axis("a", [1, 2]), axis("b", [3, 4])])], [
    { a: 1, b: 3 },
    { a: 1, b: 4 },
    { a: 2, b: 3 },
    { a: 2, b: 4 },
  ]);
  assert.deepEqual([...crossProduct([])], [{}]);
  assert.deepEqual([...crossProduct([axis("a", [1]), axis("b", [])])], []);
});

Deno.test("expand: net hosts take ${params.key} and ${var}; a bad host is refused", async () => {
  const yaml = `params: { ip: 127.0.0.1, port: 8080, hosts: [a.example] }
stages:
  s:
    run: stages/ok.ts
    matrix: { host: "\${params.hosts}" }
    net: ["\${params.ip}:\${params.port}", "\${host}", "127.0.0.1:\${params.port}"]
    outs: ["out/\${host}.txt"]
`;
  const nets = async (set: { key: string; value: number | string }[]) => {
    const r = await analyzeInline(yaml, { set });
    assert.ok(r.ok, heads(r).join("\n"));
    return r.graph.instances.map((i) => i.net);
  };
  // Sorted, deduplicated, the port as `--set` gave it.
  assert.deepEqual(await nets([]), [["127.0.0.1:8080", "a.example"]]);
  assert.deepEqual(await nets([{ key: "port", value: 41234 }]), [["127.0.0.1:41234", "a.example"]]);
  // A value that would split Deno's comma-separated list, or a URL, is refused.
  const comma = heads(
    await analyzeInline(yaml, { set: [{ key: "ip", value: "1.2.3.4,evil.com" }] }),
  );
  assert.match(
    comma[0]!,
    /pipeline\.yaml:6:11: Invalid host "1\.2\.3\.4,evil\.com:8080" in stages\.s\.net: expected a host or host:port/,
  );
  const url = await analyzeInline(yaml.replace('"${host}"', '"http://x/"'));
  assert.match(heads(url)[0]!, /Invalid host "http:\/\/x\/" in stages\.s\.net/);
  const unknown = await analyzeInline(yaml.replace("params.ip", "params.nope"));
  assert.match(
    heads(unknown)[0]!,
    /Invalid interpolation in stages\.s\.net\[0\]: unknown param "nope"/,
  );
});

Deno.test("expand: a dep that is exactly a null ${params.key} is left out (an optional input)", async () => {
  const yaml = `params: { log: null }
stages:
  s:
    run: stages/ok.ts
    deps: [in.txt, "\${params.log}"]
    outs: [out.txt]
`;
  const deps = async (set: { key: string; value: string }[]) => {
    const r = await analyzeInline(yaml, { set }, { "in.txt": "a\n", "access.jsonl": "" });
    assert.ok(r.ok, heads(r).join("\n"));
    return r.graph.instances[0]!.deps;
  };
  assert.deepEqual(await deps([]), ["in.txt"]);
  assert.deepEqual(await deps([{ key: "log", value: "access.jsonl" }]), [
    "in.txt",
    "access.jsonl",
  ]);
  // Inside a longer path, null is text as before: the missing dep is named.
  const r = await analyzeInline(yaml.replace('"${params.log}"', '"logs/${params.log}"'));
  assert.match(heads(r).join("\n"), /logs\/null/);
});
