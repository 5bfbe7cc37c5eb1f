import assert from "node:assert/strict";
import { join } from "node:path";
import { analyzePipeline, formatDiagnostic } from "../../../lib/pipeline/mod.ts";
import type { ModuleValidator } from "../../../lib/pipeline/analyze.ts";
import { validateArgs } from "../../../lib/pipeline/validate_child.ts";
import { cleanup, cli, copyFixture, exists, fixturePath } from "../_helpers.ts";

Deno.test("validation children may only read: no write, net, run, ffi; no fetching, frozen lock", () => {
  const args = validateArgs(fixturePath("escape"), join(fixturePath("escape"), "stages/writer.ts"));
  for (const flag of ["--allow-write", "--allow-net", "--allow-run", "--allow-ffi", "-A"]) {
    assert.ok(!args.some((a) => a.startsWith(flag)), `${flag} in ${args.join(" ")}`);
  }
  assert.ok(args.includes("--no-prompt") && args.includes("--cached-only"));
  assert.ok(args.includes("--frozen"));
  assert.ok(args[args.indexOf("--config") + 1]!.endsWith("deno.json"), "the project's config");
  assert.ok(args.some((a) => a.startsWith("--allow-read=")), "read access is scoped");
});

Deno.test("a stage module that writes or spawns while loading fails validation; nothing escapes", async () => {
  const dir = copyFixture("escape");
  Deno.env.set("QUARRY_TEST_SECRET", "hunter2");
  try {
    const r = await analyzePipeline(join(dir, "pipeline.yaml"));
    assert.ok(!r.ok);
    const text = r.diagnostics.map(formatDiagnostic).join("\n");
    assert.match(
      text,
      /pipeline\.yaml:7:10: Cannot load run module "stages\/writer\.ts" in stages\.writer\.run: write access to "[^"]*pwned\.txt" is not allowed while a stage module loads or validates/,
    );
    assert.match(
      text,
      /pipeline\.yaml:10:10: Cannot load run module "stages\/spawner\.ts" in stages\.spawner\.run: run access to "sh" is not allowed/,
    );
    // The child's environment is cleared: the runner's variables do not reach stage code.
    assert.match(text, /Invalid param "x" for envspy: secret is unset/);
    assert.match(text, /in stages\.caller\.run: net access to "127\.0\.0\.1:45679" is not allowed/);
    assert.match(
      text,
      /in stages\.fetcher\.run: package "quarry-not-installed-anywhere" is not installed, and validation fetches nothing/,
    );
    assert.ok(!exists(join(dir, "pwned.txt")), "the top-level write did not happen");
    assert.ok(!exists(join(dir, "spawned.txt")), "the shell did not run");
  } finally {
    Deno.env.delete("QUARRY_TEST_SECRET");
    cleanup(dir);
  }
});

Deno.test("dag loads no stage module; status and repro --dry validate in the child and refuse", async () => {
  const dir = copyFixture("escape");
  const file = join(dir, "pipeline.yaml");
  try {
    const dag = await cli(["dag", "--pipeline", file]);
    assert.equal(dag.code, 0, dag.stderr);
    assert.equal(dag.stdout, "writer\nspawner\nenvspy\nfetcher\ncaller\n");
    for (const args of [["status"], ["repro", "--dry"]]) {
      const r = await cli([...args, "--pipeline", file]);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, /in stages\.writer\.run: write access/);
    }
    assert.ok(!exists(join(dir, "pwned.txt")) && !exists(join(dir, "spawned.txt")));
  } finally {
    cleanup(dir);
  }
});

Deno.test("validateStages() batches one job per module and maps outcomes to diagnostics", async () => {
  const jobs: { module: string; names: string[] }[] = [];
  const validator: ModuleValidator = (job) => {
    jobs.push({ module: job.module, names: job.instances.map((i) => i.name) });
    return Promise.resolve({
      load: "ok",
      results: job.instances.map((_, k) => k === 1 ? { threw: "boom" } : []),
    });
  };
  const r = await analyzePipeline(join(fixturePath("matrix"), "pipeline.yaml"), {
    profile: "smoke",
    validator,
  });
  assert.ok(!r.ok);
  // Two stages, one module: one job with every instance of it.
  assert.deepEqual(jobs.map((j) => j.names), [
    ["train@mnist-entropy-0", "train@mnist-random-0", "summary@mnist"],
  ]);
  assert.deepEqual(r.diagnostics.map((d) => d.message), [
    'validate() of "stages/noop.ts" threw for train@mnist-random-0: boom',
  ]);
});

Deno.test("a stage importing an uninstalled package fetches nothing and leaves deno.lock as it was", async () => {
  // Analyzed in place, so the child runs with this project's deno.json and lock.
  const lock = Deno.readTextFileSync("deno.lock");
  const r = await analyzePipeline(join(fixturePath("escape"), "pipeline.yaml"));
  assert.ok(!r.ok);
  assert.ok(
    r.diagnostics.some((d) => /stages\.fetcher\.run: .*quarry-not-installed/.test(d.message)),
  );
  assert.equal(Deno.readTextFileSync("deno.lock"), lock);
  assert.ok(!exists("node_modules/quarry-not-installed-anywhere"));
  assert.ok(!exists(join(fixturePath("escape"), "pwned.txt")));
});
