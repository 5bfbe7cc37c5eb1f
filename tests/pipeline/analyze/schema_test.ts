import assert from "node:assert/strict";
import { parseTimeout } from "../../../lib/pipeline/analyze/schema.ts";
import { instanceKey } from "../../../lib/pipeline/fingerprint.ts";
import { analyzeInline, heads } from "./_inline.ts";

const stage = (extra: string) =>
  `stages:\n  a:\n    run: stages/ok.ts\n    outs: [out/a.txt]\n${extra}`;

Deno.test("schema: env: and timeout: resolve onto the instance, sorted and in seconds", async () => {
  const r = await analyzeInline(stage("    env: [TOKEN, API_KEY, TOKEN]\n    timeout: 30m\n"));
  assert.ok(r.ok);
  const inst = r.graph.instances[0]!;
  assert.deepEqual(inst.env, ["API_KEY", "TOKEN"]);
  assert.equal(inst.timeout, 1800);
});

Deno.test("schema: env: and timeout: do not change an instance's identity", async () => {
  const plain = await analyzeInline(stage(""));
  const extra = await analyzeInline(stage("    env: [TOKEN]\n    timeout: 90\n"));
  assert.ok(plain.ok && extra.ok);
  const { env: _e, timeout: _t, ...rest } = extra.graph.instances[0]!;
  assert.deepEqual(rest, plain.graph.instances[0]);
  assert.equal(plain.graph.instances[0]!.env, undefined);
  const code = { files: {}, packages: [], deno: "2", hash: "c" };
  assert.equal(
    instanceKey(extra.graph.instances[0]!, {}, code),
    instanceKey(plain.graph.instances[0]!, {}, code),
  );
});

Deno.test("schema: a bad env name and a bad timeout are refused at their position", async () => {
  const r = await analyzeInline(stage("    env: [ok_not, PATH]\n    timeout: soon\n"));
  assert.deepEqual(heads(r), [
    'pipeline.yaml:5:11: Invalid item "ok_not" in stages.a.env: expected an environment variable name (A-Z, 0-9, "_")',
    'pipeline.yaml:6:14: Invalid stages.a.timeout: expected a positive number of seconds or a duration like "90s", "30m", "2h"',
  ]);
  const neg = await analyzeInline(stage("    timeout: -5\n"));
  assert.match(heads(neg)[0]!, /^pipeline\.yaml:5:14: Invalid stages\.a\.timeout/);
});

Deno.test("parseTimeout() reads seconds and s/m/h durations", () => {
  assert.equal(parseTimeout(90), 90);
  assert.equal(parseTimeout("90s"), 90);
  assert.equal(parseTimeout("1.5h"), 5400);
  for (const bad of [0, -1, "", "10d", "m", null, true, Infinity]) {
    assert.equal(parseTimeout(bad), undefined, String(bad));
  }
});

Deno.test("schema: unknown stage keys list env and timeout among the expected", async () => {
  const r = await analyzeInline(stage("    timout: 5\n"));
  assert.match(heads(r)[0]!, /Unknown key "timout" in stages\.a: .*"env", "timeout", "resources"$/);
});
