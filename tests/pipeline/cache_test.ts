import assert from "node:assert/strict";
import { join } from "node:path";
import { cleanup, cli, copyFixture, reproJson } from "./_helpers.ts";
import { readLockFile } from "../../lib/pipeline/mod.ts";

Deno.test("repro caches by params, deps and code (including a transitive helper)", async (t) => {
  const dir = copyFixture("basic");
  try {
    await t.step("first run runs everything", async () => {
      const { code, result } = await reproJson(dir);
      assert.equal(code, 0);
      assert.deepEqual(result, {
        ran: ["gen@alpha", "gen@beta", "combine"],
        cached: [],
        failed: [],
        skipped: [],
      });
      assert.equal(Deno.readTextFileSync(join(dir, "out/gen-alpha.txt")), "alpha alpha alpha\n");
      assert.equal(Deno.readTextFileSync(join(dir, "out/combined/scale.txt")), "2");
    });

    await t.step("no change: everything up to date, status clean", async () => {
      const { result } = await reproJson(dir);
      assert.deepEqual(result.ran, []);
      assert.deepEqual(result.cached, ["gen@alpha", "gen@beta", "combine"]);
      const s = await cli(["status", "--pipeline", join(dir, "pipeline.yaml"), "--json"]);
      const status = JSON.parse(s.stdout);
      assert.deepEqual(status.instances.map((i: { state: string }) => i.state), [
        "up-to-date",
        "up-to-date",
        "up-to-date",
      ]);
    });

    await t.step(
      "a param change reruns its stage and downstream; status names the param",
      async () => {
        const s = await cli(["status", "--pipeline", join(dir, "pipeline.yaml"), "--set", "n=4"]);
        assert.match(s.stdout, /gen@alpha: will run\n {4}param "n" changed: 3 -> 4/);
        const scale = await cli([
          "status",
          "--pipeline",
          join(dir, "pipeline.yaml"),
          "--set",
          "scale=3",
        ]);
        assert.match(scale.stdout, /^up to date by stage: gen 2\/2, combine 0\/1$/m);
        const { result } = await reproJson(dir, ["--set", "n=4"]);
        assert.deepEqual(result.ran, ["gen@alpha", "gen@beta", "combine"]);
        assert.equal(Deno.readTextFileSync(join(dir, "out/gen-beta.txt")), "beta beta beta beta\n");
      },
    );

    await t.step("switching the param back restores from the cache", async () => {
      const { result } = await reproJson(dir);
      assert.deepEqual(result.ran, []);
      assert.deepEqual(result.cached, ["gen@alpha", "gen@beta", "combine"]);
      assert.equal(Deno.readTextFileSync(join(dir, "out/gen-beta.txt")), "beta beta beta\n");
    });

    await t.step("a dep change reruns only the stage reading it", async () => {
      Deno.writeTextFileSync(join(dir, "data/input.txt"), "hello world\n");
      const s = await cli(["status", "--pipeline", join(dir, "pipeline.yaml")]);
      assert.match(s.stdout, /combine: will run\n {4}dep "data\/input.txt" changed/);
      const { result } = await reproJson(dir);
      assert.deepEqual(result.ran, ["combine"]);
      assert.deepEqual(
        readLockFile(join(dir, "pipeline.lock")).profiles.default?.combine?.metrics,
        {
          "out/metrics.json": { scaled: 16, words: 8 },
        },
      );
    });

    await t.step(
      "editing a transitively imported helper reruns exactly its importers",
      async () => {
        // A semantic change: gen's outs change, so combine reruns because its deps changed.
        Deno.writeTextFileSync(
          join(dir, "stages/helpers/deep.ts"),
          'export function sep(): string {\n  return "_";\n}\n',
        );
        const s = await cli(["status", "--pipeline", join(dir, "pipeline.yaml")]);
        assert.match(
          s.stdout,
          /gen@alpha: will run\n {4}code file "stages\/helpers\/deep.ts" changed/,
        );
        assert.doesNotMatch(s.stdout, /combine: will run\n {4}code file/);
        const { result } = await reproJson(dir);
        assert.deepEqual(result.ran, ["gen@alpha", "gen@beta", "combine"]);
        assert.equal(Deno.readTextFileSync(join(dir, "out/gen-alpha.txt")), "alpha_alpha_alpha\n");
        // A cosmetic change: gen reruns, its outs are identical, combine stays cached.
        Deno.writeTextFileSync(
          join(dir, "stages/helpers/deep.ts"),
          '// a comment\nexport function sep(): string {\n  return "_";\n}\n',
        );
        const again = await reproJson(dir);
        assert.deepEqual(again.result.ran, ["gen@alpha", "gen@beta"]);
        assert.deepEqual(again.result.cached, ["combine"]);
      },
    );

    await t.step("deleted outs and profile switches restore from the cache, verified", async () => {
      const small = await reproJson(dir, ["--profile", "small"]);
      assert.deepEqual(small.result.ran, ["gen@alpha", "gen@beta", "combine"]);
      assert.equal(Deno.readTextFileSync(join(dir, "out/gen-alpha.txt")), "alpha\n");
      const back = await reproJson(dir);
      assert.deepEqual(back.result.cached, ["gen@alpha", "gen@beta", "combine"]);
      assert.equal(Deno.readTextFileSync(join(dir, "out/gen-alpha.txt")), "alpha_alpha_alpha\n");
      Deno.removeSync(join(dir, "out"), { recursive: true });
      const restored = await reproJson(dir);
      assert.deepEqual(restored.result.cached, ["gen@alpha", "gen@beta", "combine"]);
      assert.equal(Deno.readTextFileSync(join(dir, "out/combined/scale.txt")), "2");
      const lock = readLockFile(join(dir, "pipeline.lock"));
      assert.deepEqual(Object.keys(lock.profiles).sort(), ["default", "small"]);
    });

    await t.step("a corrupt cache object is detected on restore and the stage reruns", async () => {
      const objects = join(dir, ".quarry/cache/objects");
      for (const sub of Deno.readDirSync(objects)) {
        for (const f of Deno.readDirSync(join(objects, sub.name))) {
          const p = join(objects, sub.name, f.name);
          Deno.chmodSync(p, 0o644);
          Deno.writeTextFileSync(p, "garbage");
        }
      }
      Deno.removeSync(join(dir, "out/gen-alpha.txt"));
      const { result } = await reproJson(dir);
      assert.deepEqual(result.ran, ["gen@alpha"]);
      assert.equal(Deno.readTextFileSync(join(dir, "out/gen-alpha.txt")), "alpha_alpha_alpha\n");
    });
  } finally {
    cleanup(dir);
  }
});

Deno.test("repro --cache DIR keeps the cache outside the workspace", async () => {
  const dir = copyFixture("basic");
  const cacheDir = Deno.makeTempDirSync({ prefix: "quarry-cache-" });
  try {
    const first = await reproJson(dir, ["--cache", cacheDir, "gen@alpha"]);
    assert.deepEqual(first.result.ran, ["gen@alpha"]);
    assert.ok([...Deno.readDirSync(join(cacheDir, "runs"))].length > 0);
    Deno.removeSync(join(dir, "out"), { recursive: true });
    Deno.removeSync(join(dir, "pipeline.lock"));
    const again = await reproJson(dir, ["--cache", cacheDir, "gen@alpha"]);
    assert.deepEqual(again.result.cached, ["gen@alpha"]);
    assert.equal(Deno.readTextFileSync(join(dir, "out/gen-alpha.txt")), "alpha alpha alpha\n");
  } finally {
    cleanup(dir);
    cleanup(cacheDir);
  }
});
