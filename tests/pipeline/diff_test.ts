import { deepEqual, equal, ok } from "node:assert/strict";
import { diffLocks, formatDiffHtml, formatDiffText, isEmptyDiff } from "../../lib/pipeline/diff.ts";
import { parseLockFile } from "../../lib/pipeline/lock_file.ts";

const FIXTURES = new URL("../fixtures/diff/", import.meta.url);
const CLI = new URL("../../lib/pipeline/diff_cli.ts", import.meta.url).pathname;
const read = (name: string) => Deno.readTextFileSync(new URL(name, FIXTURES));
const lockA = parseLockFile(read("a.lock"), "a.lock");
const lockB = parseLockFile(read("b.lock"), "b.lock");

Deno.test("diffLocks() finds added, removed and rerun instances, params, metric deltas and outs", () => {
  const d = diffLocks(lockA, lockB, { labels: ["A", "B"] });
  deepEqual(d.instances.map((c) => `${c.instance}:${c.status}`), [
    "new@y:added",
    "old@x:removed",
    "plots:rerun",
    "select@mnist-entropy-r0:rerun",
  ]);
  deepEqual(d.params.map((c) => [c.instance, c.key, c.old, c.new]), [
    ["new@y", "new.size", undefined, 2],
    ["select@mnist-entropy-r0", "select.batch", 1000, 500],
  ]);
  const acc = d.metrics.find((m) => m.path === "final.test_accuracy")!;
  equal(acc.old, 0.95);
  equal(acc.new, 0.9625);
  equal(Math.round(acc.delta! * 1e4), 125);
  ok(!d.metrics.some((m) => m.path === "final.queries"), "unchanged metrics hidden");
  ok(!d.metrics.some((m) => m.instance === "target@mnist"), "unchanged instance absent");
  const added = d.metrics.find((m) => m.instance === "new@y")!;
  equal(added.old, null);
  equal(added.delta, null);
  deepEqual(d.outs.map((o) => `${o.path}:${o.status}`), [
    "artifacts/new/out.json:added",
    "artifacts/figures/:modified",
    "artifacts/select/mnist-entropy-r0/:modified",
  ]);
});

Deno.test("diffLocks() with --all lists unchanged metrics with delta 0; same lock is empty", () => {
  const d = diffLocks(lockA, lockB, { all: true });
  const q = d.metrics.find((m) => m.path === "final.queries")!;
  equal(q.delta, 0);
  ok(isEmptyDiff(diffLocks(lockA, lockA)));
  ok(isEmptyDiff(diffLocks(lockA, lockB, { profile: "paper" })));
});

Deno.test("diffLocks() names the leaf of a nested param that changed", () => {
  const entry = (budget: number) => ({
    key: String(budget),
    stage: "s",
    run: "stages/s.ts",
    vars: {},
    params: { active: { budget, train: { epochs: 1 } } },
    deps: {},
    code: {},
    packages: [],
    outs: {},
    metrics: {},
  });
  const d = diffLocks(
    { version: 1, profiles: { quick: { s: entry(1000) } } },
    { version: 1, profiles: { quick: { s: entry(1200) } } },
  );
  deepEqual(d.params.map((c) => [c.key, c.old, c.new]), [["active.budget", 1000, 1200]]);
});

Deno.test("formatDiffText() prints aligned tables with signed deltas", () => {
  const text = formatDiffText(diffLocks(lockA, lockB, { labels: ["HEAD", "workspace"] }));
  ok(text.startsWith("pipeline.lock: HEAD → workspace\n"));
  ok(/final\.test_accuracy\s+0\.95\s+0\.9625\s+\+0\.0125/.test(text), text);
  ok(text.includes("select.batch"));
  equal(formatDiffText(diffLocks(lockA, lockA)), "pipeline.lock: a → b\nNo changes.\n");
});

Deno.test("formatDiffHtml() puts changed figures first, side by side, as data URLs", () => {
  const html = formatDiffHtml(diffLocks(lockA, lockB), [
    { path: "artifacts/figures/same.svg", a: "<svg>1</svg>", b: "<svg>1</svg>" },
    { path: "artifacts/figures/fig3.svg", a: "<svg>a</svg>", b: "<svg>b</svg>" },
    { path: "artifacts/figures/new.svg", a: null, b: "<svg>n</svg>" },
  ]);
  ok(html.indexOf("fig3.svg") < html.indexOf("same.svg"), "changed first");
  ok(html.includes(`src="data:image/svg+xml;base64,${btoa("<svg>a</svg>")}"`));
  ok(html.includes("absent"));
  ok(html.includes("2 changed, 1 unchanged"));
  ok(!/<script|https?:\/\/(?!www\.w3\.org)/.test(html), "self-contained");
});

async function sh(cwd: string, cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  return text;
}

Deno.test("diff CLI compares two commits and a commit with the workspace (text, --json, --html)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "quarry_diff_" });
  try {
    await sh(dir, "git", ["init", "-q"]);
    await sh(dir, "git", ["config", "user.email", "t@example.com"]);
    await sh(dir, "git", ["config", "user.name", "t"]);
    await Deno.mkdir(`${dir}/artifacts/figures`, { recursive: true });
    await Deno.writeTextFile(`${dir}/pipeline.lock`, read("a.lock"));
    await Deno.writeTextFile(`${dir}/artifacts/figures/fig3-mnist.svg`, "<svg>old</svg>");
    await sh(dir, "git", ["add", "."]);
    await sh(dir, "git", ["commit", "-q", "-m", "a"]);
    await Deno.writeTextFile(`${dir}/pipeline.lock`, read("b.lock"));
    await Deno.writeTextFile(`${dir}/artifacts/figures/fig3-mnist.svg`, "<svg>new</svg>");
    // HEAD vs workspace (default).
    const text = await sh(dir, "deno", ["run", "-A", CLI]);
    ok(text.startsWith("pipeline.lock: HEAD → workspace"), text);
    ok(text.includes("+0.0125"));
    await sh(dir, "git", ["commit", "-q", "-am", "b"]);
    // Two commits.
    const json = JSON.parse(await sh(dir, "deno", ["run", "-A", CLI, "HEAD~1", "HEAD", "--json"]));
    equal(json.a, "HEAD~1");
    equal(json.b, "HEAD");
    equal(json.params.length, 2);
    // Clean workspace: nothing changed.
    ok((await sh(dir, "deno", ["run", "-A", CLI])).includes("No changes."));
    const html = await sh(dir, "deno", ["run", "-A", CLI, "HEAD~1", "HEAD", "--html"]);
    ok(html.includes(btoa("<svg>old</svg>")) && html.includes(btoa("<svg>new</svg>")));
    ok(html.includes("1 changed, 0 unchanged"));
    // A bad revision is a clear error.
    const bad = await new Deno.Command("deno", {
      args: ["run", "-A", CLI, "nope"],
      cwd: dir,
      stdout: "null",
      stderr: "piped",
    }).output();
    equal(bad.code, 2);
    ok(new TextDecoder().decode(bad.stderr).includes(`Invalid revision "nope"`));
    // A git-conflicted workspace lock: exit 2 naming the file, no stack trace.
    await Deno.writeTextFile(`${dir}/pipeline.lock`, `<<<<<<< HEAD\n{}\n=======\n{}\n>>>>>>> b\n`);
    const conflicted = await new Deno.Command("deno", {
      args: ["run", "-A", CLI],
      cwd: dir,
      stdout: "null",
      stderr: "piped",
    }).output();
    equal(conflicted.code, 2);
    const msg = new TextDecoder().decode(conflicted.stderr);
    ok(msg.includes(`Invalid lock file "pipeline.lock": it holds git merge conflict markers`), msg);
    ok(!/\n\s+at /.test(msg), "no stack trace");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
