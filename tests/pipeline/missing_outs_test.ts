import assert from "node:assert/strict";
import { join } from "node:path";
import { cleanup, cli, copyFixture, exists, reproJson } from "./_helpers.ts";
import { sha256File } from "../../lib/pipeline/file_stream.ts";
import { analyzePipeline, openWorkspace, reproduce } from "../../lib/pipeline/mod.ts";

const WEIGHTS = "out/model.weights";

/** A copy of the fixture as a git repository whose .gitignore keeps the weights out. */
function gitFixture(): string {
  const dir = copyFixture("missing");
  Deno.writeTextFileSync(join(dir, ".gitignore"), "*.weights\n.quarry/\n");
  const git = new Deno.Command("git", { args: ["init", "-q"], cwd: dir }).outputSync();
  assert.equal(git.code, 0, "git init");
  return dir;
}

/** The state of a fresh clone: the ignored weights and the cache are gone. */
function likeAClone(dir: string): void {
  Deno.removeSync(join(dir, WEIGHTS));
  Deno.removeSync(join(dir, ".quarry", "cache"), { recursive: true });
}

const status = (dir: string, extra: string[] = []) =>
  cli(["status", "--pipeline", join(dir, "pipeline.yaml"), ...extra]);

Deno.test("a missing out that git ignores keeps its instance up to date", async () => {
  const dir = gitFixture();
  try {
    assert.equal((await reproJson(dir)).code, 0);
    likeAClone(dir);
    const st = await status(dir);
    assert.equal(st.code, 0);
    assert.match(st.stdout, /train: up to date, out "out\/model.weights" missing \(restorable\)/);
    assert.match(st.stdout, /4 up to date \(1 with large outs missing, restorable\), 0 stale/);
    const again = await reproJson(dir);
    assert.deepEqual(again.result.ran, [], "nothing reruns only to bring back the weights");
    assert.equal(exists(join(dir, WEIGHTS)), false);
    // A committed (not ignored) out that is missing still makes its instance stale.
    Deno.removeSync(join(dir, "out/train.json"));
    const stale = await status(dir);
    assert.match(stale.stdout, /train: will run\n {4}out "out\/train.json" missing/);
  } finally {
    cleanup(dir);
  }
});

Deno.test("outside a git repository no out may be missing", async () => {
  const dir = copyFixture("missing");
  try {
    assert.equal((await reproJson(dir)).code, 0);
    Deno.removeSync(join(dir, WEIGHTS));
    const st = await status(dir);
    assert.match(
      st.stdout,
      /train: will (run|restore from cache)\n {4}out "out\/model.weights" missing/,
    );
  } finally {
    cleanup(dir);
  }
});

Deno.test("a downstream that must run gets the missing out rerun, byte-identical, or restored", async () => {
  const dir = gitFixture();
  try {
    assert.equal((await reproJson(dir)).code, 0);
    const recorded = sha256File(join(dir, WEIGHTS));
    likeAClone(dir);
    // Every eval must run (scale changed) and the cache is empty: train reruns, once.
    const rerun = await reproJson(dir, ["--set", "scale=2"]);
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.deepEqual(rerun.result.ran, ["eval@1", "eval@2", "eval@3"]);
    assert.match(rerun.stderr, /train: out\(s\) "out\/model.weights" missing and not in the cache/);
    assert.match(rerun.stderr, /train: reran in .* outs byte-identical to pipeline.lock/);
    assert.equal(sha256File(join(dir, WEIGHTS)), recorded);
    assert.equal((rerun.stderr.match(/rerunning it for/g) ?? []).length, 1, "once for all three");

    // The rerun was cached: next time the weights are restored, not recomputed.
    Deno.removeSync(join(dir, WEIGHTS));
    const restored = await reproJson(dir, ["--set", "scale=3", "eval@2"]);
    assert.equal(restored.code, 0, restored.stderr);
    assert.deepEqual(restored.result.ran, ["eval@2"]);
    assert.match(
      restored.stderr,
      /train: restored missing out\(s\) "out\/model.weights" from the cache for eval@2/,
    );
    assert.equal(sha256File(join(dir, WEIGHTS)), recorded);
  } finally {
    cleanup(dir);
  }
});

Deno.test("a producer whose rerun differs from the lock fails its downstream loudly", async () => {
  const dir = gitFixture();
  try {
    assert.equal((await reproJson(dir)).code, 0);
    likeAClone(dir);
    // The lock records other bytes than the producer now writes (as if it were not reproducible).
    const lockPath = join(dir, "pipeline.lock");
    const lock = JSON.parse(Deno.readTextFileSync(lockPath));
    lock.profiles.default.train.outs[WEIGHTS] = "0".repeat(64);
    Deno.writeTextFileSync(lockPath, JSON.stringify(lock, null, 2) + "\n");
    const bad = await reproJson(dir);
    assert.equal(bad.code, 1);
    assert.deepEqual(bad.result.failed, ["eval@1", "eval@2", "eval@3"]);
    assert.match(
      bad.stderr,
      /rerunning train to provide "out\/model.weights" gave outs that differ from pipeline.lock \(out\/model.weights\)/,
    );
    assert.equal(exists(join(dir, WEIGHTS)), false, "nothing placed");
  } finally {
    cleanup(dir);
  }
});

Deno.test("large files inside folder outs and folder deps may stay missing too", async () => {
  const dir = copyFixture("missing_folder");
  Deno.writeTextFileSync(join(dir, ".gitignore"), "*.weights\n.quarry/\n");
  assert.equal(new Deno.Command("git", { args: ["init", "-q"], cwd: dir }).outputSync().code, 0);
  const large = ["out/snap/model.weights", "out/snap/ckpt/q1.weights"];
  try {
    assert.equal((await reproJson(dir)).code, 0);
    const lock = JSON.parse(Deno.readTextFileSync(join(dir, "pipeline.lock")));
    assert.deepEqual(Object.keys(lock.profiles.default.snap.ignoredFiles), [
      "out/snap/ckpt/q1.weights",
    ]);
    const recorded = large.map((p) => sha256File(join(dir, p)));
    for (const p of large) Deno.removeSync(join(dir, p));
    Deno.removeSync(join(dir, ".quarry", "cache"), { recursive: true });
    const st = await status(dir);
    assert.match(
      st.stdout,
      /snap: up to date, out "out\/snap\/model.weights" missing \(restorable\), out "out\/snap\/ckpt\/" missing \(restorable\)/,
    );
    assert.match(st.stdout, /2 up to date \(1 with large outs missing, restorable\), 0 stale/);
    const rerun = await reproJson(dir, ["--set", "scale=2"]);
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.deepEqual(rerun.result.ran, ["read"]);
    assert.match(rerun.stderr, /snap: reran in .* byte-identical to pipeline.lock/);
    assert.deepEqual(large.map((p) => sha256File(join(dir, p))), recorded);
    // A committed file of the folder that changed is no missing large file: snap is stale.
    Deno.removeSync(join(dir, large[1]!));
    Deno.writeTextFileSync(join(dir, "out/snap/ckpt/index.json"), "{}\n");
    const stale = await status(dir);
    assert.match(
      stale.stdout,
      /snap: will (run|restore from cache)\n {4}out "out\/snap\/ckpt\/" modified/,
    );
  } finally {
    cleanup(dir);
  }
});

/** The missing_folder fixture with a `light` stage (`needs_large: false`) reading `out/snap/`. */
function lightFixture(gitignore: string, out: string): string {
  const dir = copyFixture("missing_folder");
  Deno.writeTextFileSync(join(dir, ".gitignore"), gitignore);
  Deno.writeTextFileSync(
    join(dir, "stages/light.ts"),
    `export async function run(ctx: { params: Record<string, unknown>; deps: readonly string[]; outs: readonly string[] }) {
  const index = await Deno.readTextFile(\`\${ctx.deps[0]}ckpt/index.json\`);
  await Deno.writeTextFile(ctx.outs[0]!, JSON.stringify({ n: index.length * Number(ctx.params.scale) }) + "\\n");
}
`,
  );
  Deno.writeTextFileSync(
    join(dir, "pipeline.yaml"),
    Deno.readTextFileSync(join(dir, "pipeline.yaml")) +
      "  light:\n    run: stages/light.ts\n    params: [scale]\n    deps: [out/snap/]\n" +
      `    outs: [${out}]\n    needs_large: false\n`,
  );
  assert.equal(new Deno.Command("git", { args: ["init", "-q"], cwd: dir }).outputSync().code, 0);
  return dir;
}

Deno.test("a stage with needs_large: false runs on its deps' committed files; nothing is rerun for it", async () => {
  const dir = lightFixture("*.weights\n.quarry/\n", "out/light.json");
  const large = ["out/snap/model.weights", "out/snap/ckpt/q1.weights"];
  try {
    assert.equal((await reproJson(dir)).code, 0);
    for (const p of large) Deno.removeSync(join(dir, p));
    Deno.removeSync(join(dir, ".quarry", "cache"), { recursive: true });
    const r = await reproJson(dir, ["light", "--set", "scale=2"]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.result.ran, ["light"]);
    assert.doesNotMatch(r.stderr, /reran|restored missing/);
    for (const p of large) assert.equal(exists(join(dir, p)), false);
    // `read` (default: it needs them) still gets snap rerun first.
    const full = await reproJson(dir, ["read", "--set", "scale=2"]);
    assert.equal(full.code, 0, full.stderr);
    assert.match(full.stderr, /snap: reran in .* byte-identical to pipeline.lock/);
  } finally {
    cleanup(dir);
  }
});

Deno.test("a stage with needs_large: false still gets a dep whose whole out git ignores", async () => {
  // As the smoke profile: git ignores the outs altogether, so none of them is committed.
  const dir = lightFixture("out/\n.quarry/\n", "light.json");
  try {
    assert.equal((await reproJson(dir)).code, 0);
    Deno.removeSync(join(dir, "out/snap"), { recursive: true });
    Deno.removeSync(join(dir, ".quarry", "cache"), { recursive: true });
    const r = await reproJson(dir, ["light", "--set", "scale=2"]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.result.ran, ["light"]);
    assert.match(r.stderr, /snap: reran in .* byte-identical to pipeline.lock/);
    assert.ok(exists(join(dir, "out/snap/ckpt/index.json")));
  } finally {
    cleanup(dir);
  }
});

Deno.test("a remote wait that runs out is said before the producer reruns for the missing out", async () => {
  const dir = gitFixture();
  try {
    assert.equal((await reproJson(dir)).code, 0);
    const recorded = sha256File(join(dir, WEIGHTS));
    likeAClone(dir);
    const analysis = await analyzePipeline(join(dir, "pipeline.yaml"), {
      set: [{ key: "scale", value: 2 }],
    });
    assert.ok(analysis.ok);
    const warnings: string[] = [];
    const asked: string[] = [];
    const result = await reproduce(analysis.graph, openWorkspace(analysis.graph), {
      jobs: 1,
      onEvent: (ev) => {
        if (ev.type === "warning") warnings.push(`${ev.name}: ${ev.message}`);
      },
      beforeRestore: (name) => {
        asked.push(name);
        return Promise.resolve(name === "train" ? "waited 1 s for train in the remote" : undefined);
      },
    });
    assert.deepEqual(result.ran, ["eval@1", "eval@2", "eval@3"]);
    assert.ok(asked.includes("train"));
    const said = warnings.findIndex((w) => w === "train: waited 1 s for train in the remote");
    const reran = warnings.findIndex((w) => /^train: reran in .* byte-identical/.test(w));
    assert.ok(said >= 0 && reran > said, warnings.join("\n"));
    assert.equal(sha256File(join(dir, WEIGHTS)), recorded);
  } finally {
    cleanup(dir);
  }
});
