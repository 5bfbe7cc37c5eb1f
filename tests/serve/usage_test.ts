import assert from "node:assert/strict";
import { join } from "node:path";
import { UsageStore } from "../../lib/serve/usage.ts";
import { RateLimiter } from "../../lib/serve/rate.ts";

Deno.test("usage is reserved synchronously and survives reopening", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "usage.json");
    const store = await UsageStore.open(path);
    assert.ok(store.reserve("a", 6, 10));
    assert.ok(!store.reserve("a", 5, 10));
    assert.ok(store.reserve("a", 4, 10));
    assert.ok(store.reserve("b", 1, 1));
    store.release("b", 1);
    // Many concurrent commits share writes and all see the last state.
    await Promise.all(Array.from({ length: 20 }, () => store.commit()));
    const reopened = await UsageStore.open(path);
    assert.equal(reopened.used("a"), 10);
    assert.equal(reopened.used("b"), 0);
    assert.deepEqual(JSON.parse(await Deno.readTextFile(path)), {
      version: 1,
      used: { a: 10, b: 0 },
    });
    // No temporary file is left behind.
    const names = [];
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    assert.deepEqual(names, ["usage.json"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a malformed usage file is refused, naming it and the field", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "usage.json");
    await Deno.writeTextFile(path, '{"version": 1, "used": {"a": -3}}');
    await assert.rejects(
      UsageStore.open(path),
      /usage\.json" at used\.a: expected a non-negative integer/,
    );
    await Deno.writeTextFile(path, "{");
    await assert.rejects(UsageStore.open(path), /Invalid usage file/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("rate limiter: a bucket of one second's requests, Retry-After rounded up", () => {
  let now = 0;
  const limiter = new RateLimiter(() => now);
  for (let i = 0; i < 3; i++) assert.ok(limiter.take("k", 3).ok);
  const refused = limiter.take("k", 3);
  assert.deepEqual(refused, { ok: false, retryAfter: 1 });
  assert.ok(limiter.take("other", 3).ok);
  now = 334;
  assert.ok(limiter.take("k", 3).ok);
  assert.deepEqual(limiter.take("slow", 0.1), { ok: true });
  assert.deepEqual(limiter.take("slow", 0.1), { ok: false, retryAfter: 10 });
  assert.ok(limiter.take("free", null).ok);
});
