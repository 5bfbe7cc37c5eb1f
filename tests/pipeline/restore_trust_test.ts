import assert from "node:assert/strict";
import { join } from "node:path";
import { cleanup, copyFixture, exists, reproJson } from "./_helpers.ts";
import {
  Cache,
  manifestDigest,
  manifestPathProblem,
  readLockFile,
  runEntryProblem,
} from "../../lib/pipeline/mod.ts";
import { copyFileHashed } from "../../lib/pipeline/file_stream.ts";

type Entry = {
  outs: Record<string, { hash: string; files?: Record<string, string> }>;
  metrics: Record<string, unknown>;
};

function runFile(dir: string, key: string): string {
  return join(dir, ".quarry/cache/runs", key.slice(0, 2), `${key}.json`);
}

/** A fresh workspace whose `combine` is cached, its workspace copy deleted (so it must restore). */
async function cachedCombine(): Promise<{ dir: string; key: string; entry: Entry }> {
  const dir = copyFixture("basic");
  const first = await reproJson(dir);
  assert.equal(first.code, 0, first.stderr);
  const key = readLockFile(join(dir, "pipeline.lock")).profiles.default!.combine!.key;
  const entry = JSON.parse(Deno.readTextFileSync(runFile(dir, key))) as Entry;
  Deno.removeSync(join(dir, "out/combined"), { recursive: true });
  return { dir, key, entry };
}

/** Poisons combine's folder manifest with `files`, re-signing it so only the paths are wrong. */
function poison(entry: Entry, files: Record<string, string>, resign = true): Entry {
  const out = entry.outs["out/combined/"]!;
  const all = { ...out.files!, ...files };
  return {
    ...entry,
    outs: {
      ...entry.outs,
      "out/combined/": { hash: resign ? manifestDigest(all) : out.hash, files: all },
    },
  };
}

const tag = `${Deno.pid}-${Date.now()}`;
const UP = "../".repeat(24);

const POISONS: [string, (e: Entry, valid: string) => Entry, string[]][] = [
  ["../ escape to /tmp", (e, v) => poison(e, { [`${UP}tmp/pwned-a-${tag}`]: v }), [
    `/tmp/pwned-a-${tag}`,
  ]],
  ["absolute path", (e, v) => poison(e, { [`/tmp/pwned-b-${tag}`]: v }), [`/tmp/pwned-b-${tag}`]],
  ["backslash segments", (e, v) => poison(e, { [`..\\..\\pwned-c-${tag}`]: v }), []],
  ["empty segment", (e, v) => poison(e, { "x//y.txt": v }), []],
  ["dot segment", (e, v) => poison(e, { "./y.txt": v }), []],
  ["newline in a name (forges manifest lines)", (e, v) => poison(e, { "a\nb": v }), []],
  ["a file that is also a folder", (e, v) => poison(e, { "scale.txt/inner": v }), []],
  ["object hash that is a path", (e) => poison(e, { "z.txt": `../../../../tmp/x` }), []],
  ["manifest not matching its hash", (e, v) => poison(e, { "extra.txt": v }, false), []],
  ["out name escaping the workspace", (e) => {
    const outs = { ...e.outs };
    outs[`${UP}tmp/pwned-d-${tag}/`] = outs["out/combined/"]!;
    delete outs["out/combined/"];
    return { ...e, outs };
  }, [`/tmp/pwned-d-${tag}`]],
  ["not JSON", () => "{" as unknown as Entry, []],
];

for (const [what, make, outside] of POISONS) {
  Deno.test(`restore refuses a poisoned cache entry (${what}), drops it and reruns`, async () => {
    const { dir, key, entry } = await cachedCombine();
    try {
      const valid = entry.outs["out/combined/"]!.files!["scale.txt"]!;
      const bad = make(entry, valid);
      Deno.writeTextFileSync(
        runFile(dir, key),
        typeof bad === "string" ? bad : JSON.stringify(bad),
      );
      const r = await reproJson(dir);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.result.ran, ["combine"], "the poisoned instance must rerun");
      assert.match(
        r.stderr,
        /warning {2}combine: refused cache entry ".*\.json": .*; dropped, rerunning/,
      );
      for (const p of outside) assert.ok(!exists(p), `${p} must not be written`);
      assert.ok(!exists(join(dir, "pwned")));
      assert.deepEqual(
        [...Deno.readDirSync(join(dir, "out/combined"))].map((e) => e.name).sort(),
        ["all.txt", "scale.txt"],
      );
      // The rerun stored a fresh, trustworthy entry in place of the poisoned one.
      const now = new Cache(join(dir, ".quarry/cache")).lookup(key);
      assert.ok(now && "entry" in now, JSON.stringify(now));
    } finally {
      for (const p of outside) {
        try {
          Deno.removeSync(p, { recursive: true });
        } catch {
          // not there: good
        }
      }
      cleanup(dir);
    }
  });
}

Deno.test("restore refuses an object whose bytes do not match, and reruns", async () => {
  const { dir, entry } = await cachedCombine();
  try {
    const h = entry.outs["out/combined/"]!.files!["all.txt"]!;
    Deno.writeTextFileSync(join(dir, ".quarry/cache/objects", h.slice(0, 2), h), "tampered");
    const r = await reproJson(dir);
    assert.deepEqual(r.result.ran, ["combine"]);
    assert.match(r.stderr, /corrupt cache object/);
    assert.notEqual(Deno.readTextFileSync(join(dir, "out/combined/all.txt")), "tampered");
  } finally {
    cleanup(dir);
  }
});

Deno.test("manifestPathProblem and runEntryProblem name what is wrong", () => {
  for (const ok of ["a", "a/b.txt", "x y/z-1.json", "..a", "a..b/c"]) {
    assert.equal(manifestPathProblem(ok), undefined, ok);
  }
  assert.equal(manifestPathProblem("../x"), 'a ".." segment');
  assert.equal(manifestPathProblem("/etc/passwd"), "an absolute path");
  assert.equal(manifestPathProblem("a\\b"), "a backslash");
  assert.equal(manifestPathProblem("a/"), "an empty path segment");
  assert.equal(manifestPathProblem(""), "an empty path");
  assert.equal(manifestPathProblem("a\u0000b"), "a control character");
  assert.equal(runEntryProblem(null), "expected an object");
  assert.match(runEntryProblem({ outs: { "o.txt": { hash: "zz" } }, metrics: {} })!, /bad hash/);
  assert.match(
    runEntryProblem({ outs: {}, metrics: { "m.json": { a: "1" } } })!,
    /not numbers/,
  );
});

Deno.test("copyFileHashed never writes through an existing file or symlink", () => {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(join(dir, "src"), "data");
    Deno.writeTextFileSync(join(dir, "victim"), "keep");
    Deno.symlinkSync(join(dir, "victim"), join(dir, "link"));
    assert.throws(
      () => copyFileHashed(join(dir, "src"), join(dir, "link")),
      Deno.errors.AlreadyExists,
    );
    assert.equal(Deno.readTextFileSync(join(dir, "victim")), "keep");
  } finally {
    cleanup(dir);
  }
});
