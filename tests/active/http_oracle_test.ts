import assert from "node:assert/strict";
import { join } from "node:path";
import { BudgetExceededError } from "../../lib/active/oracle.ts";
import {
  createHttpOracle,
  httpTarget,
  OracleHttpError,
  retryAfterSeconds,
} from "../../lib/active/http_oracle.ts";
import { createClassifier, initBackend } from "../../lib/ml/mod.ts";
import { KeyRing, parseKeysFile } from "../../lib/serve/keys.ts";
import { loadServeModel } from "../../lib/serve/model.ts";
import { startServer } from "../../lib/serve/server.ts";
import { UsageStore } from "../../lib/serve/usage.ts";
import type { ParamValue, StageContext } from "../../lib/pipeline/stage_context.ts";
import * as selectStage from "../../stages/select.ts";
import { smokeSplits, trainTinyTarget } from "../serve/_smoke.ts";
import {
  randomImages,
  startTestServer,
  type TestKey,
  writeKeysFile,
  writeTinyWeights,
} from "../serve/_helpers.ts";

const PROBS: TestKey = { id: "p", key: "qk_p", budget: 100, answer: "probabilities" };
const LABELS: TestKey = { id: "l", key: "qk_l", budget: 100, answer: "labels" };
const base = { image: [28, 28] as const, classes: 10 };

Deno.test("Retry-After: delay-seconds only", () => {
  assert.equal(retryAfterSeconds("3"), 3);
  assert.equal(retryAfterSeconds(" 0 "), 0);
  assert.equal(retryAfterSeconds("Wed, 21 Oct 2015 07:28:00 GMT"), null);
  assert.equal(retryAfterSeconds(null), null);
});

Deno.test("the HTTP oracle waits out the rate limit as Retry-After says", async () => {
  let now = 0;
  const server = await startTestServer([{ ...PROBS, rate: 1 }], { now: () => now });
  const waits: number[] = [];
  try {
    const oracle = createHttpOracle({
      ...base,
      url: server.url,
      key: PROBS.key,
      budget: 100,
      answer: "probabilities",
      maxBatch: 3,
      // The server's clock moves only while the client waits, so the wait is what frees it.
      sleep: (ms) => {
        waits.push(ms);
        now += ms;
        return Promise.resolve();
      },
    });
    const probs = await oracle.query(randomImages(7, 1)); // 3 + 3 + 1 images: 3 requests
    assert.equal(probs.rows, 7);
    assert.deepEqual(waits, [1000, 1000]);
    assert.equal(oracle.spent, 7);
  } finally {
    await server.close();
  }
});

Deno.test("5xx answers are retried with a bounded backoff, then surfaced", async () => {
  let failures = 2;
  const server = await startTestServer([PROBS], {
    model: {
      classes: 10,
      height: 28,
      width: 28,
      predictProba: (_x, n) => {
        if (failures-- > 0) throw new Error("flaky");
        return new Float32Array(n * 10).fill(0.1);
      },
    },
  });
  const waits: number[] = [];
  const sleep = (ms: number) => {
    waits.push(ms);
    return Promise.resolve();
  };
  try {
    const target = httpTarget({ ...base, url: server.url, key: PROBS.key, sleep, maxWaitS: 1.5 });
    const out = await target.predictProba(randomImages(2, 2), 2);
    assert.equal(out.length, 20);
    assert.deepEqual(waits, [1000, 1500]); // 2^0 s, then 2^1 s capped at maxWaitS
    failures = 100;
    waits.length = 0;
    const giveUp = httpTarget({ ...base, url: server.url, key: PROBS.key, sleep, retries: 2 });
    await assert.rejects(
      Promise.resolve(giveUp.predictProba(randomImages(1, 3), 1)),
      (e: unknown) =>
        e instanceof OracleHttpError && e.status === 500 && /3 attempts/.test(e.message),
    );
    assert.equal(waits.length, 2);
  } finally {
    await server.close();
  }
});

Deno.test("a network permission error is not retried", async () => {
  let calls = 0;
  const target = httpTarget({
    ...base,
    url: "http://127.0.0.1:9",
    key: PROBS.key,
    maxBatch: 10, // skips /v1/health, so the first refusal is a predict request's
    fetch: () => {
      calls++;
      return Promise.reject(new Deno.errors.NotCapable("Requires net access"));
    },
    sleep: () => Promise.reject(new Error("must not wait")),
  });
  await assert.rejects(
    Promise.resolve(target.predictProba(randomImages(1, 9), 1)),
    Deno.errors.NotCapable,
  );
  assert.equal(calls, 1);
});

Deno.test("the server's budget refusal is a BudgetExceededError; 401 is not retried", async () => {
  const server = await startTestServer([{ ...PROBS, budget: 5 }, LABELS]);
  try {
    const oracle = createHttpOracle({
      ...base,
      url: server.url,
      key: PROBS.key,
      budget: 50, // the loop's plan is larger than the key's budget
      answer: "probabilities",
    });
    await oracle.query(randomImages(4, 4));
    await assert.rejects(oracle.query(randomImages(2, 5)), (e: unknown) => {
      assert.ok(e instanceof BudgetExceededError);
      assert.equal(e.remaining, 1);
      assert.equal(e.asked, 2);
      assert.match(e.message, /budget of 5/);
      return true;
    });
    const wrong = createHttpOracle({
      ...base,
      url: server.url,
      key: "qk_nope",
      budget: 5,
      answer: "label",
      sleep: () => Promise.reject(new Error("must not retry")),
    });
    await assert.rejects(
      wrong.query(randomImages(1, 6)),
      (e: unknown) => e instanceof OracleHttpError && e.status === 401,
    );
    // A labels key cannot feed a loop that expects probabilities.
    const mismatch = createHttpOracle({
      ...base,
      url: server.url,
      key: LABELS.key,
      budget: 5,
      answer: "probabilities",
    });
    await assert.rejects(mismatch.query(randomImages(1, 7)), /the key answers "labels"/);
    // The same key with label answers gives one-hot rows.
    const labels = createHttpOracle({
      ...base,
      url: server.url,
      key: LABELS.key,
      budget: 5,
      answer: "label",
    });
    const rows = await labels.query(randomImages(2, 8));
    assert.deepEqual([...rows.data].filter((v) => v === 1).length, 2);
  } finally {
    await server.close();
  }
});

Deno.test("the client learns max_batch from /v1/health and splits without changing a bit", async () => {
  const server = await startTestServer([PROBS], { maxBatch: 4 });
  try {
    const images = randomImages(10, 14);
    const split = await httpTarget({ ...base, url: server.url, key: PROBS.key })
      .predictProba(images, 10);
    await initBackend();
    const { decodeWeights } = await import("../../lib/ml/mod.ts");
    const dir = await Deno.makeTempDir();
    const { spec, weights } = decodeWeights(await Deno.readFile(await writeTinyWeights(dir)));
    await Deno.remove(dir, { recursive: true });
    const model = createClassifier(spec);
    model.setWeights(weights);
    const whole = model.predictProba(images);
    model.dispose();
    assert.deepEqual(new Uint8Array(split.buffer), new Uint8Array(whole.buffer));
    const log = await Deno.readTextFile(server.logPath);
    assert.deepEqual(
      log.trim().split("\n").map((l) => JSON.parse(l).asked),
      [0, 4, 4, 2], // health, then three batches
    );
    const wrong = httpTarget({ ...base, classes: 3, url: server.url, key: PROBS.key });
    await assert.rejects(
      Promise.resolve(wrong.predictProba(images, 10)),
      /serves \[28,28\] images and 10 classes, expected \[28,28\] and 3/,
    );
  } finally {
    await server.close();
  }
});

/** The `smoke` profile's `active` sizes (pipeline.yaml), with a LeNet substitute. */
const SMOKE: Record<string, ParamValue> = {
  seed_size: 50,
  batch: 50,
  budget: 150,
  pool_size: 600,
  test_size: 200,
  stopping_set: 100,
  train: { batch: 16 },
};

function context(deps: string[], out: string, active: Record<string, ParamValue>): StageContext {
  return {
    name: "select@http",
    vars: { strategy: "entropy+clustering", repeat: 0 },
    params: { active },
    deps,
    outs: [out],
    progress: () => {},
  };
}

async function readOuts(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of ["trace.json", "trace.csv", "summary.json"]) {
    out[name] = await Deno.readTextFile(join(dir, name));
  }
  return out;
}

for (const answer of ["probabilities", "label"] as const) {
  Deno.test(`a smoke select through the served target has the in-process traces (${answer})`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "quarry-http-select-" });
    const env = "QUARRY_TEST_API_KEY";
    const key: TestKey = {
      id: "attacker",
      key: "qk_attacker",
      budget: 150,
      answer: answer === "label" ? "labels" : "probabilities",
    };
    const prepare = await smokeSplits(dir);
    const model = await loadServeModel(await trainTinyTarget(prepare, dir));
    const server = await startServer({
      model,
      keys: new KeyRing(parseKeysFile(JSON.parse(
        await Deno.readTextFile(
          await writeKeysFile(dir, [key]),
        ),
      ))),
      usage: await UsageStore.open(join(dir, "usage.json")),
      maxBatch: 1000,
      maxBody: 1 << 20,
      hostname: "127.0.0.1",
      port: 0,
    });
    try {
      const deps = [prepare, join(dir, "model.weights")];
      const active = { ...SMOKE, answer, labels: answer === "label" ? "hard" : "soft" };
      const local = join(dir, "local") + "/";
      await selectStage.run(context(deps, local, active));
      Deno.env.set(env, key.key);
      const remote = join(dir, "remote") + "/";
      const oracle = { url: server.url, key_env: env };
      await selectStage.run(context(deps, remote, { ...active, oracle }));
      const [a, b] = [await readOuts(local), await readOuts(remote)];
      assert.equal(JSON.parse(a["trace.json"]!).length, 3);
      assert.deepEqual(b, a);
      const usage = JSON.parse(await Deno.readTextFile(join(dir, "usage.json")));
      assert.equal(usage.used.attacker, 150);
    } finally {
      Deno.env.delete(env);
      await server.shutdown();
      model.dispose();
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("active.oracle: the key must come from the environment", async () => {
  const { activeParamIssues } = await import("../../lib/active/params.ts");
  const issues = (oracle: ParamValue) =>
    activeParamIssues({ active: { oracle } }, {}).map((i) => `${i.param}: ${i.message}`);
  assert.deepEqual(issues(null), []);
  assert.deepEqual(issues({ url: "http://127.0.0.1:8080", key_env: "QUARRY_API_KEY" }), []);
  assert.match(
    issues({ url: "http://x", key_env: "K", key: "qk_secret" })[0]!,
    /unknown field "key"/,
  );
  assert.match(issues({ url: "ftp://x", key_env: "K" })[0]!, /http:\/\/ or https:\/\//);
  assert.match(issues({ url: "http://x", key_env: "1-BAD" })[0]!, /environment variable name/);
  assert.match(issues("http://x")[0]!, /expected null or \{url, key_env\}/);
  const { apiKey } = await import("../../lib/active/experiment.ts");
  Deno.env.delete("QUARRY_UNSET_KEY");
  assert.throws(() => apiKey({ url: "http://x", keyEnv: "QUARRY_UNSET_KEY" }), /QUARRY_UNSET_KEY/);
});
