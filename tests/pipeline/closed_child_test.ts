import assert from "node:assert/strict";
import { join } from "node:path";
import { cleanup, cli, copyFixture, exists } from "./_helpers.ts";
import { analyzePipeline, openWorkspace, reproduce } from "../../lib/pipeline/mod.ts";
import { childArgs, childEnv, readScope } from "../../lib/pipeline/sandbox_args.ts";

async function graphOf(dir: string, set: { key: string; value: string }[] = []) {
  const analysis = await analyzePipeline(join(dir, "pipeline.yaml"), { set });
  assert.ok(analysis.ok, JSON.stringify(!analysis.ok && analysis.diagnostics));
  return analysis.graph;
}

Deno.test("the child's environment is an allow-list: a secret of the runner's is not seen", async () => {
  const dir = copyFixture("closed");
  Deno.env.set("QUARRY_TEST_SECRET", "hunter2");
  Deno.env.set("QUARRY_TEST_ALLOWED", "declared");
  try {
    const g = await graphOf(dir);
    // The stage's `env:` list (Instance.env) lets a named variable through.
    const graph = {
      ...g,
      instances: g.instances.map((i) => ({ ...i, env: ["QUARRY_TEST_ALLOWED"] })),
    };
    const r = await reproduce(graph, openWorkspace(graph), { selected: ["envspy"] });
    assert.deepEqual(r.ran, ["envspy"], JSON.stringify([...r.outcomes]));
    const env = JSON.parse(Deno.readTextFileSync(join(dir, "out/env.json")));
    assert.equal(env.QUARRY_TEST_SECRET, undefined);
    assert.ok(!Deno.readTextFileSync(join(dir, "out/env.json")).includes("hunter2"));
    assert.equal(env.QUARRY_TEST_ALLOWED, "declared");
    assert.equal(env.NO_COLOR, "1");
    const allowed = new Set(["HOME", "PATH", "TMPDIR", "LANG", "LC_ALL", "TZ", "DENO_DIR"]);
    // QUARRY_THREADS is set by the runner itself (the stage's share of the cores), never inherited.
    for (
      const k of [
        "XDG_CACHE_HOME",
        "QUARRY_DATA",
        "NO_COLOR",
        "DENO_NO_UPDATE_CHECK",
        "QUARRY_THREADS",
      ]
    ) {
      allowed.add(k);
    }
    allowed.add("QUARRY_TEST_ALLOWED");
    for (const k of Object.keys(env)) assert.ok(allowed.has(k), `unexpected variable ${k}`);
  } finally {
    Deno.env.delete("QUARRY_TEST_SECRET");
    Deno.env.delete("QUARRY_TEST_ALLOWED");
    cleanup(dir);
  }
});

Deno.test("an npm import not in the lock fails and writes neither deno.lock nor node_modules", async () => {
  const dir = copyFixture("closed");
  try {
    Deno.writeTextFileSync(join(dir, "deno.json"), '{ "nodeModulesDir": "auto" }\n');
    Deno.writeTextFileSync(join(dir, "deno.lock"), '{\n  "version": "5"\n}\n');
    const lockBefore = Deno.readTextFileSync(join(dir, "deno.lock"));
    const graph = await graphOf(dir);
    const r = await reproduce(graph, openWorkspace(graph), { selected: ["leftpad"] });
    assert.deepEqual(r.failed, ["leftpad"]);
    assert.match(r.outcomes.get("leftpad")!.error!, /left-pad/);
    assert.equal(Deno.readTextFileSync(join(dir, "deno.lock")), lockBefore);
    assert.ok(!exists(join(dir, "node_modules")), "no node_modules written");
    assert.ok(!exists(join(dir, "out/leftpad.txt")));
  } finally {
    cleanup(dir);
  }
});

Deno.test("without a deno.json, npm: is refused outright (nothing pins a version)", async () => {
  const dir = copyFixture("closed");
  try {
    const graph = await graphOf(dir);
    const r = await reproduce(graph, openWorkspace(graph), { selected: ["leftpad"] });
    assert.deepEqual(r.failed, ["leftpad"]);
    assert.match(r.outcomes.get("leftpad")!.error!, /--no-npm/);
    assert.ok(!exists(join(dir, "deno.lock")));
  } finally {
    cleanup(dir);
  }
});

Deno.test("an https import fails: no remote modules in a stage", async () => {
  const dir = copyFixture("closed");
  try {
    const graph = await graphOf(dir);
    const r = await reproduce(graph, openWorkspace(graph), { selected: ["remote"] });
    assert.deepEqual(r.failed, ["remote"]);
    assert.match(r.outcomes.get("remote")!.error!, /--no-remote/);
  } finally {
    cleanup(dir);
  }
});

Deno.test("reads are scoped: a file outside the workspace, data and Deno's cache is refused", async () => {
  const dir = copyFixture("closed");
  const secretDir = Deno.makeTempDirSync({ prefix: "quarry-secret-" });
  try {
    const secret = join(secretDir, "id_rsa");
    Deno.writeTextFileSync(secret, "PRIVATE KEY");
    const graph = await graphOf(dir, [{ key: "peek", value: secret }]);
    const r = await reproduce(graph, openWorkspace(graph), { selected: ["peek"] });
    assert.deepEqual(r.failed, ["peek"]);
    assert.match(r.outcomes.get("peek")!.error!, /Permission denied: read access to ".*id_rsa"/);
    assert.ok(!exists(join(dir, "out/peek.txt")));
    // Inside the workspace is fine.
    Deno.writeTextFileSync(join(dir, "mine.txt"), "ok");
    const g2 = await graphOf(dir, [{ key: "peek", value: "mine.txt" }]);
    const r2 = await reproduce(g2, openWorkspace(g2), { selected: ["peek"] });
    assert.deepEqual(r2.ran, ["peek"]);
  } finally {
    cleanup(secretDir);
    cleanup(dir);
  }
});

Deno.test("childArgs/childEnv/readScope: the closed child's flags", () => {
  const args = childArgs({
    main: "/r/lib/pipeline/_child_main.ts",
    writeDir: "/w/.quarry/tmp/x",
    read: ["/w", "/r"],
    net: [],
    project: { config: "/w/deno.json", lock: "/w/deno.lock", nodeModules: true },
  });
  for (const f of ["--cached-only", "--no-remote", "--frozen", "--node-modules-dir=manual"]) {
    assert.ok(args.includes(f), f);
  }
  assert.ok(args.includes("--config=/w/deno.json"));
  assert.ok(args.includes("--allow-read=/w,/r"));
  assert.ok(!args.some((a) => a.startsWith("--allow-net")));
  assert.ok(!args.includes("--allow-run") && !args.includes("-A"));
  const bare = childArgs({ main: "/m.ts", writeDir: "/t", read: ["/w"], net: ["h:1"] });
  assert.ok(bare.includes("--no-config") && bare.includes("--no-npm"));
  assert.ok(bare.includes("--allow-net=h:1"));
  assert.deepEqual(childEnv([], { SECRET: "s", HOME: "/h" }), {
    HOME: "/h",
    NO_COLOR: "1",
    DENO_NO_UPDATE_CHECK: "1",
  });
  assert.deepEqual(
    readScope({
      workspace: "/w",
      runnerRoot: "/r",
      env: { HOME: "/h", QUARRY_DATA: "/d" },
      dataDirParam: "../data",
    }),
    [
      "/w",
      "/r",
      Deno.build.os === "darwin" ? "/h/Library/Caches/deno" : "/h/.cache/deno",
      "/d",
      "/data",
    ],
  );
});

Deno.test("a comma in a path is refused, never split into two permission grants", () => {
  assert.throws(
    () => childArgs({ main: "/m.ts", writeDir: "/a,b/.quarry/tmp/x", read: ["/a,b"], net: [] }),
    /contains a comma, which Deno's permission flags .* cannot express/,
  );
});

Deno.test("a workspace named ',' cannot widen the write grant to its parent: exit 2 up front", async () => {
  const base = Deno.makeTempDirSync({ prefix: "quarry-comma-" });
  try {
    const ws = join(base, ",");
    Deno.mkdirSync(join(ws, "stages"), { recursive: true });
    Deno.writeTextFileSync(
      join(ws, "pipeline.yaml"),
      "stages:\n  escape:\n    run: stages/escape.ts\n    outs: [out.txt]\n",
    );
    Deno.writeTextFileSync(
      join(ws, "stages/escape.ts"),
      `export async function run(ctx: { outs: readonly string[] }) {
  await Deno.writeTextFile(${JSON.stringify(join(base, "escaped.txt"))}, "x");
  await Deno.writeTextFile(ctx.outs[0]!, "x");
}\n`,
    );
    const r = await cli(["repro", "--pipeline", join(ws, "pipeline.yaml")]);
    assert.equal(r.code, 2, r.stderr + r.stdout);
    assert.match(r.stderr, /The workspace path ".*," contains a comma/);
    assert.ok(!exists(join(base, "escaped.txt")), "nothing written in the parent");
    assert.ok(!exists(join(ws, "out.txt")));
  } finally {
    cleanup(base);
  }
});

Deno.test("the runner's environment via /proc and code from outside the workspace are refused", async () => {
  const dir = copyFixture("closed");
  const outside = Deno.makeTempDirSync({ prefix: "quarry-outside-" });
  try {
    Deno.writeTextFileSync(join(outside, "mod.ts"), 'export const secret = "S3CRET";\n');
    for (
      const [peek, path] of [
        ["proc", /\/proc\/\d+\/environ/],
        [`file://${outside}/mod.ts`, /quarry-outside-.*mod\.ts/],
      ] as const
    ) {
      const graph = await graphOf(dir, [{ key: "peek", value: peek }]);
      const r = await reproduce(graph, openWorkspace(graph), { selected: ["procenv"] });
      assert.deepEqual(r.failed, ["procenv"], peek);
      const error = r.outcomes.get("procenv")!.error!;
      assert.match(error, /Permission denied: read access to/);
      assert.match(error, path);
      assert.ok(!exists(join(dir, "out/procenv.txt")));
    }
  } finally {
    cleanup(outside);
    cleanup(dir);
  }
});

Deno.test("env: in pipeline.yaml lets exactly the named variables through", async () => {
  const dir = copyFixture("closed");
  Deno.env.set("QUARRY_TEST_SECRET", "hunter2");
  Deno.env.set("QUARRY_TEST_ALLOWED", "declared");
  try {
    const yaml = join(dir, "pipeline.yaml");
    Deno.writeTextFileSync(
      yaml,
      Deno.readTextFileSync(yaml).replace(
        "    outs: [out/env.json]\n",
        "    outs: [out/env.json]\n    env: [QUARRY_TEST_ALLOWED]\n",
      ),
    );
    const r = await cli(["repro", "--pipeline", yaml, "envspy"]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const env = JSON.parse(Deno.readTextFileSync(join(dir, "out/env.json")));
    assert.equal(env.QUARRY_TEST_ALLOWED, "declared");
    assert.equal(env.QUARRY_TEST_SECRET, undefined);
  } finally {
    Deno.env.delete("QUARRY_TEST_SECRET");
    Deno.env.delete("QUARRY_TEST_ALLOWED");
    cleanup(dir);
  }
});
