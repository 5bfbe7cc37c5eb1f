import assert from "node:assert/strict";
import { join } from "node:path";
import {
  addKey,
  constantTimeEqual,
  hashKey,
  KeyRing,
  parseKeysFile,
  readKeysFile,
} from "../../lib/serve/keys.ts";

const HASH = "a".repeat(64);

Deno.test("keys file errors name the file, the field and what was expected", () => {
  const cases: [unknown, RegExp][] = [
    [[], /at top level: expected an object/],
    [{ version: 2, keys: [] }, /at version: expected 1/],
    [{ version: 1 }, /at keys: expected a list/],
    [
      { version: 1, keys: [{ id: "a b", sha256: HASH, budget: 1, answer: "labels" }] },
      /keys\[0\]\.id/,
    ],
    [
      { version: 1, keys: [{ id: "a", sha256: "AB", budget: 1, answer: "labels" }] },
      /keys\[0\]\.sha256: expected 64 lowercase hex/,
    ],
    [
      { version: 1, keys: [{ id: "a", sha256: HASH, budget: -1, answer: "labels" }] },
      /keys\[0\]\.budget/,
    ],
    [
      { version: 1, keys: [{ id: "a", sha256: HASH, budget: 1, answer: "label" }] },
      /keys\[0\]\.answer/,
    ],
    [
      { version: 1, keys: [{ id: "a", sha256: HASH, budget: 1, answer: "labels", rate: 0 }] },
      /keys\[0\]\.rate/,
    ],
    [
      {
        version: 1,
        keys: [
          { id: "a", sha256: HASH, budget: 1, answer: "labels" },
          { id: "a", sha256: HASH, budget: 1, answer: "labels" },
        ],
      },
      /keys\[1\]\.id: expected an id not used before/,
    ],
  ];
  for (const [value, pattern] of cases) {
    assert.throws(() => parseKeysFile(value, "k.json"), (e: Error) => {
      assert.match(e.message, /^Invalid keys file "k\.json"/);
      assert.match(e.message, pattern);
      return true;
    });
  }
});

Deno.test("constant-time comparison and lookup by hash", async () => {
  assert.ok(constantTimeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3])));
  assert.ok(!constantTimeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 4])));
  assert.ok(!constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2, 3])));
  // SHA-256("abc"), the FIPS 180-2 test vector.
  assert.equal(
    await hashKey("abc"),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  const ring = new KeyRing(parseKeysFile({
    version: 1,
    keys: [
      { id: "one", sha256: await hashKey("k1"), budget: 5, answer: "labels" },
      { id: "two", sha256: await hashKey("k2"), budget: 6, answer: "probabilities", rate: 3 },
    ],
  }));
  assert.equal((await ring.find("k2"))?.id, "two");
  assert.equal((await ring.find("k2"))?.rate, 3);
  assert.equal((await ring.find("k1"))?.rate, null);
  assert.equal(await ring.find("k3"), null);
  assert.equal(await ring.find(""), null);
});

Deno.test("addKey stores only the hash and returns the key once", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "keys.json");
    const a = await addKey(path, { budget: 5000, answer: "labels" });
    const b = await addKey(path, { budget: 10, answer: "probabilities", rate: 2, id: "bob" });
    assert.match(a.key, /^qk_[A-Za-z0-9_-]{43}$/);
    assert.notEqual(a.key, b.key);
    const text = await Deno.readTextFile(path);
    assert.ok(!text.includes(a.key) && !text.includes(b.key));
    const file = await readKeysFile(path);
    assert.deepEqual(file.keys.map((k) => [k.id, k.budget, k.answer, k.rate]), [
      ["key-1", 5000, "labels", null],
      ["bob", 10, "probabilities", 2],
    ]);
    assert.equal((await new KeyRing(file).find(a.key))?.id, "key-1");
    await assert.rejects(
      addKey(path, { budget: 1, answer: "labels", id: "bob" }),
      /not used before/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a missing keys file says how to create one", async () => {
  await assert.rejects(readKeysFile("/nonexistent/keys.json"), /serve keys add --keys/);
});
