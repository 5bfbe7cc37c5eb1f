import assert from "node:assert/strict";
import { join } from "node:path";
import { cleanup, cli, copyFixture, reproJson } from "./_helpers.ts";
import { drawSample } from "../../lib/pipeline/sample.ts";

const EVALS = ["eval@1", "eval@2", "eval@3"];

Deno.test("drawSample is seeded, independent of order, and prefers instances that fit the cap", () => {
  const names = Array.from({ length: 20 }, (_, i) => `x@${i}`);
  const a = drawSample(names, 3, "seed-a");
  assert.equal(a.length, 3);
  assert.deepEqual(drawSample([...names].reverse(), 3, "seed-a"), a);
  const draws = new Set(Array.from({ length: 10 }, (_, i) => drawSample(names, 3, `c${i}`).join()));
  assert.ok(draws.size > 1, "other commits check other instances");
  // With a cap: the one instance known to fit comes first, then unknown costs, then the slow.
  const costs = new Map(names.map((n, i) => [n, i === 7 ? 5 : 500]));
  costs.delete("x@3");
  assert.deepEqual(drawSample(names, 2, "seed-a", { costs, maxSeconds: 60 }), ["x@7", "x@3"]);
  assert.deepEqual(drawSample(names, 1, "seed-a", { costs }), drawSample(names, 1, "seed-a"));
});

function committedFixture(): string {
  const dir = copyFixture("missing");
  Deno.writeTextFileSync(join(dir, ".gitignore"), "*.weights\n.quarry/\n");
  const git = (...args: string[]) => {
    const r = new Deno.Command("git", {
      args: ["-c", "user.email=t@example.org", "-c", "user.name=t", ...args],
      cwd: dir,
      stdout: "piped",
    }).outputSync();
    assert.equal(r.code, 0, `git ${args.join(" ")}`);
    return new TextDecoder().decode(r.stdout).trim();
  };
  git("init", "-q");
  gitOf.set(dir, git);
  return dir;
}
const gitOf = new Map<string, (...args: string[]) => string>();

Deno.test("repro --check --sample recomputes a drawn instance, its upstream rerun byte-identical", async () => {
  const dir = committedFixture();
  const git = gitOf.get(dir)!;
  const pipeline = join(dir, "pipeline.yaml");
  try {
    const none = await cli(["repro", "--pipeline", pipeline, "--check", "--sample", "1"]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /--sample: pipeline.lock holds no instances of profile "default"/);
    assert.equal((await reproJson(dir)).code, 0);
    git("add", "-A");
    git("commit", "-qm", "lock");
    const head = git("rev-parse", "HEAD");
    // A fresh clone: no weights, no cache.
    Deno.removeSync(join(dir, "out/model.weights"));
    Deno.removeSync(join(dir, ".quarry", "cache"), { recursive: true });

    const args = ["--check", "--sample", "1", "--sample-stages", "eval"];
    const r = await reproJson(dir, args);
    assert.equal(r.code, 0, r.stderr);
    const picked = drawSample(EVALS, 1, head);
    assert.deepEqual(r.result.ran, picked, "only the drawn instance is recomputed");
    assert.deepEqual(r.result.mismatched, []);
    assert.match(
      r.stderr,
      new RegExp(
        `recomputing ${
          picked[0]
        }( \\(~[^)]*\\))?, drawn from 3 instance\\(s\\) of stage\\(s\\) eval`,
      ),
    );
    assert.match(r.stderr, /train: reran in .* byte-identical to pipeline.lock/);

    const seeded = await reproJson(dir, [...args, "--sample", "2", "--sample-seed", "other"]);
    assert.equal(seeded.code, 0, seeded.stderr);
    assert.deepEqual(seeded.result.ran, drawSample(EVALS, 2, "other").sort());

    // A byte difference in the drawn instance fails the check.
    const lockPath = join(dir, "pipeline.lock");
    const lock = JSON.parse(Deno.readTextFileSync(lockPath));
    const out = `out/eval-${picked[0]!.split("@")[1]}.json`;
    lock.profiles.default[picked[0]!].outs[out] = "0".repeat(64);
    Deno.writeTextFileSync(lockPath, JSON.stringify(lock, null, 2) + "\n");
    const bad = await reproJson(dir, args);
    assert.equal(bad.code, 1);
    assert.deepEqual(bad.result.mismatched, picked);

    const usage = await cli(["repro", "--pipeline", pipeline, "--sample", "1"]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--sample needs --check/);
    const stage = await cli([
      "repro",
      "--pipeline",
      pipeline,
      ...args.slice(0, 3),
      "--sample-stages",
      "nope",
    ]);
    assert.equal(stage.code, 2);
    assert.match(stage.stderr, /unknown stage "nope"/);
  } finally {
    cleanup(dir);
  }
});
