import assert from "node:assert/strict";
import { createRng, type Rng } from "../../lib/util/random.ts";
import { encodeBase64 } from "../../lib/serve/wire.ts";
import { randomImages, startTestServer, type TestKey } from "./_helpers.ts";

const KEY: TestKey = { id: "fuzz", key: "qk_fuzz", budget: 1_000_000, answer: "probabilities" };

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[rng.int(xs.length)]!;

function randomBytes(rng: Rng, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.int(256);
  return out;
}

function randomJsonValue(rng: Rng, depth: number): unknown {
  const kind = rng.int(depth > 2 ? 5 : 8);
  switch (kind) {
    case 0:
      return null;
    case 1:
      return rng.int(2) === 0;
    case 2:
      return pick(rng, [0, -1, 1.5, 1e308, -0, 255, 256, 2 ** 53, 28]);
    case 3:
      return pick(rng, ["", "AAAA", "%%", "28,28", "\u0000", "😀"]);
    case 4:
      return rng.int(1000);
    case 5:
      return Array.from({ length: rng.int(5) }, () => randomJsonValue(rng, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = 0; i < rng.int(4); i++) {
        o[pick(rng, ["shape", "pixels", "x", "__proto__", "constructor"])] = randomJsonValue(
          rng,
          depth + 1,
        );
      }
      return o;
    }
  }
}

/** A random request: mostly near-valid predict bodies, with mutations. */
function randomRequest(rng: Rng, url: string): Request {
  const headers = new Headers();
  const auth = rng.int(10);
  if (auth > 1) headers.set("authorization", `Bearer ${KEY.key}`);
  else if (auth === 1) headers.set("authorization", pick(rng, ["Bearer x", "Bearer ", "Basic a"]));
  const method = rng.int(10) !== 0 ? "POST" : pick(rng, ["GET", "PUT", "DELETE", "PATCH"]);
  const path = rng.int(10) !== 0
    ? "/v1/predict"
    : pick(rng, ["/v1/usage", "/v1/health", "/", "/v1/x", "/v1/predict/", "//v1/predict"]);
  const kind = rng.int(5);
  let body: Uint8Array | string | null = null;
  if (kind === 0) {
    headers.set("content-type", "application/octet-stream");
    const n = rng.int(4);
    headers.set(
      "x-shape",
      pick(rng, [`${n},28,28`, `${n},28`, "a,b,c", `-1,28,28`, "", `${n},28,28,1`]),
    );
    body = rng.int(3) === 0 ? randomImages(n, rng.int(1000)) : randomBytes(rng, rng.int(3000));
  } else if (kind === 1) {
    headers.set("content-type", "application/json");
    const n = rng.int(3) + 1;
    const shape = rng.int(4) === 0 ? randomJsonValue(rng, 1) : [n, 28, 28];
    const pixels = rng.int(3) === 0
      ? encodeBase64(randomImages(n, rng.int(1000)))
      : randomJsonValue(rng, 1);
    body = JSON.stringify({ shape, pixels });
  } else if (kind === 2) {
    headers.set("content-type", "application/json");
    body = JSON.stringify(randomJsonValue(rng, 0));
  } else if (kind === 3) {
    headers.set("content-type", pick(rng, ["application/json", "text/plain", "", "a/b;c=d"]));
    body = randomBytes(rng, rng.int(2000));
  }
  const init: RequestInit = { method, headers };
  if (body !== null && method !== "GET") init.body = body as Uint8Array<ArrayBuffer> | string;
  return new Request(url + path, init);
}

Deno.test("a few hundred seeded random requests never crash the server", async () => {
  const server = await startTestServer([KEY], { maxBatch: 2, maxBody: 2500 });
  try {
    const rng = createRng(12);
    const seen = new Map<number, number>();
    for (let i = 0; i < 400; i++) {
      const response = await fetch(randomRequest(rng, server.url));
      const text = await response.text();
      seen.set(response.status, (seen.get(response.status) ?? 0) + 1);
      assert.notEqual(response.status, 500, `request ${i}: ${text}`);
      assert.ok([200, 400, 401, 404, 405, 413, 415].includes(response.status), String(i));
      // Every answer is JSON, errors with a code.
      const parsed = JSON.parse(text);
      if (response.status !== 200) assert.equal(typeof parsed.error.code, "string");
    }
    const health = await fetch(`${server.url}/v1/health`);
    assert.equal(health.status, 200);
    assert.equal((await health.json()).status, "ok");
    // The fuzz reached past the checks as well as into them.
    assert.ok((seen.get(200) ?? 0) >= 5 && (seen.get(400) ?? 0) > 100, JSON.stringify([...seen]));
  } finally {
    await server.close();
  }
});
