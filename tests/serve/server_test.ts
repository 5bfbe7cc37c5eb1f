import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs-core";
import { createClassifier, decodeWeights, initBackend } from "../../lib/ml/mod.ts";
import { encodeBase64 } from "../../lib/serve/wire.ts";
import { parseAccessLog } from "../../lib/serve/access_log.ts";
import { join } from "node:path";
import {
  getUsage,
  postJson,
  postRaw,
  randomImages,
  startTestServer,
  type TestKey,
  writeTinyWeights,
} from "./_helpers.ts";

const LABELS: TestKey = { id: "alice", key: "qk_alice-secret", budget: 50, answer: "labels" };
const PROBS: TestKey = { id: "bob", key: "qk_bob-secret", budget: 50, answer: "probabilities" };

type Err = { error: { status: number; code: string; field?: string; remaining?: number } };
const err = (body: Record<string, unknown>) => (body as unknown as Err).error;

Deno.test("predict answers labels and probabilities, JSON and raw, health and usage", async () => {
  const server = await startTestServer([LABELS, PROBS]);
  try {
    const images = randomImages(3, 1);
    const raw = await postRaw(server.url, LABELS.key, images, "3,28,28");
    assert.equal(raw.status, 200);
    assert.equal(raw.body.answer, "labels");
    assert.equal((raw.body.labels as number[]).length, 3);
    assert.deepEqual([raw.body.images, raw.body.used, raw.body.remaining], [3, 3, 47]);

    const viaJson = await postJson(server.url, LABELS.key, {
      shape: [3, 28, 28],
      pixels: encodeBase64(images),
    });
    assert.equal(viaJson.status, 200);
    assert.deepEqual(viaJson.body.labels, raw.body.labels);
    const viaList = await postJson(server.url, LABELS.key, {
      shape: [3, 28, 28],
      pixels: Array.from(images),
    });
    assert.deepEqual(viaList.body.labels, raw.body.labels);

    const probs = await postRaw(server.url, PROBS.key, images, "3,28,28");
    assert.equal(probs.status, 200);
    const rows = probs.body.probabilities as number[][];
    assert.equal(rows.length, 3);
    for (const row of rows) {
      assert.equal(row.length, 10);
      assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5);
    }
    // The labels are the argmax of the probabilities.
    assert.deepEqual(raw.body.labels, rows.map((r) => r.indexOf(Math.max(...r))));

    const health = await (await fetch(`${server.url}/v1/health`)).json();
    assert.deepEqual(health, {
      status: "ok",
      image: [28, 28],
      classes: 10,
      max_batch: 100,
      max_body: 200_000,
    });
    const usage = await getUsage(server.url, LABELS.key);
    assert.deepEqual(await usage.json(), {
      id: "alice",
      answer: "labels",
      budget: 50,
      used: 9,
      remaining: 41,
      rate: null,
    });
  } finally {
    await server.close();
  }
});

Deno.test("probabilities are bit-identical to in-process prediction", async () => {
  const server = await startTestServer([PROBS]);
  try {
    const dir = await Deno.makeTempDir();
    await initBackend();
    const { spec, weights } = decodeWeights(await Deno.readFile(await writeTinyWeights(dir)));
    await Deno.remove(dir, { recursive: true });
    const model = createClassifier(spec);
    model.setWeights(weights);
    const images = randomImages(20, 9);
    const expected = model.predictProba(images);
    model.dispose();
    const { body } = await postRaw(server.url, PROBS.key, images, "20,28,28");
    const got = Float32Array.from((body.probabilities as number[][]).flat());
    assert.deepEqual(new Uint8Array(got.buffer), new Uint8Array(expected.buffer));
  } finally {
    await server.close();
  }
});

Deno.test("every 400 names its field", async () => {
  const server = await startTestServer([LABELS], { maxBatch: 4 });
  try {
    const one = randomImages(1, 2);
    const b64 = encodeBase64(one);
    const cases: [unknown, string][] = [
      ["{not json", "body"],
      ["[1, 2]", "body"],
      [{ shape: [1, 28], pixels: b64 }, "shape"],
      [{ shape: [1, 27, 28], pixels: b64 }, "shape"],
      [{ shape: [0, 28, 28], pixels: "" }, "shape"],
      [{ shape: [5, 28, 28], pixels: encodeBase64(randomImages(5, 3)) }, "shape"],
      [{ shape: [1.5, 28, 28], pixels: b64 }, "shape"],
      [{ shape: [2, 28, 28], pixels: b64 }, "pixels"],
      [{ shape: [1, 28, 28], pixels: "%%%%" }, "pixels"],
      [{ shape: [1, 28, 28], pixels: 7 }, "pixels"],
      [{ shape: [1, 28, 28], pixels: [1, 2, 3] }, "pixels"],
      [{ shape: [1, 28, 28], pixels: [...Array(783).fill(0), 256] }, "pixels[783]"],
      [{ shape: [1, 28, 28], pixels: [0.5, ...Array(783).fill(0)] }, "pixels[0]"],
      [
        { shape: [1, 28, 28], pixels: [...Array(10).fill(0), -1, ...Array(773).fill(0)] },
        "pixels[10]",
      ],
      [{ shape: [1, 28, 28], pixels: ["1", ...Array(783).fill(0)] }, "pixels[0]"],
    ];
    for (const [body, field] of cases) {
      const r = await postJson(server.url, LABELS.key, body);
      assert.equal(r.status, 400, JSON.stringify(body).slice(0, 80));
      assert.equal(err(r.body).field, field, JSON.stringify(r.body));
    }
    const rawCases: [Uint8Array, string | null, string][] = [
      [one, null, "X-Shape"],
      [one, "1x28x28", "X-Shape"],
      [one, "2,28,28", "body"],
      [new Uint8Array(0), "0,28,28", "X-Shape"],
      [randomImages(5, 4), "5,28,28", "X-Shape"],
      [one, "1,28,27", "X-Shape"],
    ];
    for (const [pixels, shape, field] of rawCases) {
      const headers: Record<string, string> = {
        authorization: `Bearer ${LABELS.key}`,
        "content-type": "application/octet-stream",
      };
      if (shape !== null) headers["x-shape"] = shape;
      const response = await fetch(`${server.url}/v1/predict`, {
        method: "POST",
        headers,
        body: pixels as Uint8Array<ArrayBuffer>,
      });
      const body = await response.json();
      assert.equal(response.status, 400, String(shape));
      assert.equal(err(body).field, field, JSON.stringify(body));
    }
    // Nothing refused was spent.
    const usage = await getUsage(server.url, LABELS.key);
    assert.equal((await usage.json()).used, 0);
  } finally {
    await server.close();
  }
});

Deno.test("401, 404, 405, 415 and a 500 that is not a crash", async () => {
  let broken = false;
  const server = await startTestServer([LABELS], {
    model: {
      classes: 10,
      height: 28,
      width: 28,
      predictProba: (_x, n) => {
        if (broken) throw new Error("model failure");
        return new Float32Array(n * 10).fill(0.1);
      },
    },
  });
  try {
    const one = randomImages(1, 5);
    const missing = await postRaw(server.url, null, one, "1,28,28");
    assert.equal(missing.status, 401);
    assert.equal(missing.headers.get("www-authenticate"), 'Bearer realm="quarry"');
    assert.equal(err(missing.body).field, "Authorization");
    assert.equal((await postRaw(server.url, "qk_wrong", one, "1,28,28")).status, 401);
    const basic = await fetch(`${server.url}/v1/usage`, { headers: { authorization: "Basic x" } });
    assert.equal(basic.status, 401);
    await basic.body?.cancel();

    const notFound = await fetch(`${server.url}/v2/predict`);
    assert.equal(notFound.status, 404);
    assert.equal((await notFound.json()).error.code, "not_found");
    const wrongMethod = await fetch(`${server.url}/v1/predict`);
    assert.equal(wrongMethod.status, 405);
    assert.equal(wrongMethod.headers.get("allow"), "POST");
    await wrongMethod.body?.cancel();

    const text = await fetch(`${server.url}/v1/predict`, {
      method: "POST",
      headers: { authorization: `Bearer ${LABELS.key}`, "content-type": "text/plain" },
      body: "hello",
    });
    assert.equal(text.status, 415);
    assert.equal((await text.json()).error.field, "Content-Type");

    broken = true;
    const failed = await postRaw(server.url, LABELS.key, one, "1,28,28");
    assert.equal(failed.status, 500);
    assert.equal(err(failed.body).code, "internal_error");
    broken = false;
    // The failed request was given back; the server still answers.
    const ok = await postRaw(server.url, LABELS.key, one, "1,28,28");
    assert.equal(ok.status, 200);
    assert.equal(ok.body.used, 1);
  } finally {
    await server.close();
  }
});

/** Sends raw HTTP/1.1 and returns the status line once the server answers. */
async function rawHttp(port: number, head: string, body: Uint8Array): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode(head));
    await conn.write(body).catch(() => 0);
    const buf = new Uint8Array(4096);
    const n = await conn.read(buf);
    return new TextDecoder().decode(buf.subarray(0, n ?? 0)).split("\r\n")[0]!;
  } finally {
    conn.close();
  }
}

Deno.test("413 before the body is read whole, by Content-Length or by counting", async () => {
  const server = await startTestServer([LABELS], { maxBody: 1000 });
  try {
    const auth = `Authorization: Bearer ${LABELS.key}\r\n`;
    // Declares 100 MB but sends 10 bytes: refused at once, without waiting for the rest.
    const declared = await rawHttp(
      server.port,
      `POST /v1/predict HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/octet-stream\r\n` +
        `X-Shape: 1,28,28\r\nContent-Length: 100000000\r\n\r\n`,
      new Uint8Array(10),
    );
    assert.match(declared, /^HTTP\/1\.1 413/);
    // Chunked, no length: refused once 1,001 bytes have come, the final chunk never sent.
    const chunk = new Uint8Array(1001);
    const chunked = await rawHttp(
      server.port,
      `POST /v1/predict HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/octet-stream\r\n` +
        `X-Shape: 1,28,28\r\nTransfer-Encoding: chunked\r\n\r\n${chunk.length.toString(16)}\r\n`,
      chunk,
    );
    assert.match(chunked, /^HTTP\/1\.1 413/);
    const usage = await getUsage(server.url, LABELS.key);
    assert.equal((await usage.json()).used, 0);
  } finally {
    await server.close();
  }
});

Deno.test("429 on the budget refuses the whole request and spends nothing", async () => {
  const server = await startTestServer([{ ...LABELS, budget: 5 }]);
  try {
    assert.equal(
      (await postRaw(server.url, LABELS.key, randomImages(3, 6), "3,28,28")).status,
      200,
    );
    const refused = await postRaw(server.url, LABELS.key, randomImages(3, 7), "3,28,28");
    assert.equal(refused.status, 429);
    assert.equal(err(refused.body).code, "budget_exceeded");
    assert.equal(err(refused.body).remaining, 2);
    assert.equal(refused.headers.get("retry-after"), null);
    const rest = await postRaw(server.url, LABELS.key, randomImages(2, 8), "2,28,28");
    assert.equal(rest.status, 200);
    assert.equal(rest.body.remaining, 0);
    const usage = JSON.parse(await Deno.readTextFile(server.usagePath));
    assert.deepEqual(usage, { version: 1, used: { alice: 5 } });
  } finally {
    await server.close();
  }
});

Deno.test("429 on the rate limit carries Retry-After and spends nothing", async () => {
  let now = 0;
  const server = await startTestServer([{ ...LABELS, rate: 2 }], { now: () => now });
  try {
    const one = randomImages(1, 9);
    assert.equal((await postRaw(server.url, LABELS.key, one, "1,28,28")).status, 200);
    assert.equal((await postRaw(server.url, LABELS.key, one, "1,28,28")).status, 200);
    const limited = await postRaw(server.url, LABELS.key, one, "1,28,28");
    assert.equal(limited.status, 429);
    assert.equal(err(limited.body).code, "rate_limited");
    assert.equal(limited.headers.get("retry-after"), "1");
    now = 500; // half a second: one token back
    assert.equal((await postRaw(server.url, LABELS.key, one, "1,28,28")).status, 200);
    const usage = await getUsage(server.url, LABELS.key);
    assert.equal(usage.status, 429);
    await usage.body?.cancel();
    now = 1500;
    const after = await getUsage(server.url, LABELS.key);
    assert.equal((await after.json()).used, 3);
  } finally {
    await server.close();
  }
});

Deno.test("32 concurrent clients with a budget of 1,000 get exactly 1,000 images", async () => {
  const key: TestKey = { id: "swarm", key: "qk_swarm", budget: 1000, answer: "labels" };
  const server = await startTestServer([key], { maxBatch: 64 });
  try {
    const pool = randomImages(64, 10);
    let answered = 0;
    let refusals = 0;
    const client = async (c: number) => {
      let want = 7 + (c % 13); // sizes 7..19: no client lands on 1,000 by itself
      for (;;) {
        const r = await postRaw(server.url, key.key, pool.subarray(0, want * 784), `${want},28,28`);
        if (r.status === 200) {
          answered += (r.body.labels as number[]).length;
          continue;
        }
        assert.equal(r.status, 429);
        refusals++;
        const remaining = err(r.body).remaining!;
        if (remaining === 0) return;
        want = Math.min(want, remaining);
      }
    };
    await Promise.all(Array.from({ length: 32 }, (_, c) => client(c)));
    assert.equal(answered, 1000);
    assert.ok(refusals >= 32);
    const usage = JSON.parse(await Deno.readTextFile(server.usagePath));
    assert.equal(usage.used.swarm, 1000);
    const log = parseAccessLog(await Deno.readTextFile(server.logPath));
    assert.equal(log.reduce((n, e) => n + e.images, 0), 1000);
    assert.ok(log.every((e) => e.key === "swarm" && (e.status === 200 || e.status === 429)));
  } finally {
    await server.close();
  }
});

Deno.test("the access log has one line per request, the key id and never the key", async () => {
  const server = await startTestServer([LABELS]);
  try {
    await postRaw(server.url, LABELS.key, randomImages(2, 11), "2,28,28");
    await postRaw(server.url, "qk_wrong", randomImages(1, 11), "1,28,28");
    await (await fetch(`${server.url}/v1/health`)).body?.cancel();
    const text = await Deno.readTextFile(join(server.logPath));
    assert.ok(!text.includes(LABELS.key) && !text.includes("qk_wrong"));
    const log = parseAccessLog(text);
    assert.deepEqual(
      log.map((e) => [e.key, e.path, e.status, e.asked, e.images]),
      [
        ["alice", "/v1/predict", 200, 2, 2],
        [null, "/v1/predict", 401, 0, 0],
        [null, "/v1/health", 200, 0, 0],
      ],
    );
    assert.ok(log.every((e) => e.latency_ms >= 0 && !Number.isNaN(Date.parse(e.time))));
  } finally {
    await server.close();
  }
});

Deno.test("answering leaves no tfjs tensor behind", async () => {
  const key: TestKey = { id: "many", key: "qk_many", budget: 10_000, answer: "probabilities" };
  const server = await startTestServer([key]);
  try {
    const images = randomImages(5, 13);
    await postRaw(server.url, key.key, images, "5,28,28");
    const before = tf.memory().numTensors;
    for (let i = 0; i < 50; i++) {
      const rs = await Promise.all(
        Array.from({ length: 4 }, () => postRaw(server.url, key.key, images, "5,28,28")),
      );
      assert.ok(rs.every((r) => r.status === 200));
    }
    assert.equal(tf.memory().numTensors, before);
  } finally {
    await server.close();
  }
});
