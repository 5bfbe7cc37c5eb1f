import assert from "node:assert/strict";
import { join } from "node:path";
import { cleanup, copyFixture, exists, reproJson } from "./_helpers.ts";
import { CHUNK_SIZE } from "../../lib/pipeline/file_stream.ts";

/** Runs `body` with whole-file reads of big outs (or cache objects) made to throw. */
async function withoutWholeReads<T>(
  body: () => Promise<T>,
): Promise<{ value: T; refused: number }> {
  const d = Deno as unknown as Record<string, (...a: unknown[]) => unknown>;
  const names = ["readFileSync", "readFile", "readTextFileSync", "readTextFile"];
  const saved = names.map((n) => d[n]!);
  let refused = 0;
  names.forEach((n, k) => {
    d[n] = (path: unknown, ...rest: unknown[]) => {
      const p = String(path);
      if (p.includes("big.bin") || p.includes("/objects/")) {
        refused++;
        throw new Error(`whole-file read of ${p}`);
      }
      return saved[k]!.call(Deno, path, ...rest);
    };
  });
  try {
    return { value: await body(), refused };
  } finally {
    names.forEach((n, k) => (d[n] = saved[k]!));
  }
}

Deno.test("outs are hashed, cached and restored as streams, never read whole", async () => {
  const dir = copyFixture("bigout");
  try {
    const size = 5 << 20;
    assert.ok(size > 4 * CHUNK_SIZE, "the out spans several chunks");
    const { value: first, refused } = await withoutWholeReads(async () => {
      const ran = await reproJson(dir);
      // Restore path: the workspace copy is gone, the cache has it.
      Deno.removeSync(join(dir, "out"), { recursive: true });
      Deno.removeSync(join(dir, ".quarry/state"), { recursive: true });
      const restored = await reproJson(dir);
      // Up-to-date path with a cold stat cache: every out rehashed.
      Deno.removeSync(join(dir, ".quarry/state"), { recursive: true });
      const upToDate = await reproJson(dir);
      return [ran, restored, upToDate];
    });
    assert.equal(refused, 0, "no whole-file read of a big out or a cache object");
    const [ran, restored, upToDate] = first!;
    assert.deepEqual(ran!.result.ran, ["big"], ran!.stderr);
    assert.deepEqual(restored!.result.cached, ["big"], restored!.stderr);
    assert.match(restored!.stderr, /cached {3}big \(restored from cache\)/);
    assert.deepEqual(upToDate!.result.cached, ["big"]);
    const info = Deno.statSync(join(dir, "out/big.bin"));
    assert.equal(info.size, size);
    assert.ok(exists(join(dir, "out/folder/small.txt")));
  } finally {
    cleanup(dir);
  }
});
