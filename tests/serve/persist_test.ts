/**
 * kill -9 persistence: the server runs as a child process (`lib/serve/cli.ts`), is killed by its
 * PID with SIGKILL right after answering, restarted, and must remember every image it answered.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  CLI,
  getUsage,
  postRaw,
  randomImages,
  spawnServer,
  type TestKey,
  writeKeysFile,
  writeTinyWeights,
} from "./_helpers.ts";

const KEY: TestKey = { id: "carol", key: "qk_carol", budget: 30, answer: "labels" };

async function kill9(child: Deno.ChildProcess): Promise<void> {
  child.kill("SIGKILL");
  const status = await child.status;
  assert.equal(status.signal, "SIGKILL");
}

Deno.test("kill -9 loses no spent query and never resets a budget", async () => {
  const dir = await Deno.makeTempDir({ prefix: "quarry-persist-" });
  try {
    const model = await writeTinyWeights(dir);
    const keys = await writeKeysFile(dir, [KEY]);
    const usage = join(dir, "usage.json");
    const args = ["--model", model, "--keys", keys, "--usage", usage, "--port", "0"];

    let server = await spawnServer(args);
    let answered = 0;
    try {
      for (const n of [4, 7, 5]) {
        const r = await postRaw(server.url, KEY.key, randomImages(n, n), `${n},28,28`);
        assert.equal(r.status, 200);
        answered += n;
      }
    } finally {
      // Killed the moment the last answer arrived: no shutdown hook runs.
      await kill9(server.child);
    }
    assert.equal(answered, 16);

    server = await spawnServer(args);
    try {
      const usageBody = await (await getUsage(server.url, KEY.key)).json();
      assert.equal(usageBody.used, 16);
      assert.equal(usageBody.remaining, 14);
      const over = await postRaw(server.url, KEY.key, randomImages(15, 1), "15,28,28");
      assert.equal(over.status, 429);
      assert.equal(over.body.error && (over.body.error as { remaining: number }).remaining, 14);
      const last = await postRaw(server.url, KEY.key, randomImages(14, 2), "14,28,28");
      assert.equal(last.status, 200);
    } finally {
      await kill9(server.child);
    }

    server = await spawnServer(args);
    try {
      const r = await postRaw(server.url, KEY.key, randomImages(1, 3), "1,28,28");
      assert.equal(r.status, 429);
    } finally {
      await kill9(server.child);
    }
    assert.deepEqual(JSON.parse(await Deno.readTextFile(usage)), {
      version: 1,
      used: { carol: 30 },
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("kill -9 under concurrent load: every answer received is remembered", async () => {
  const dir = await Deno.makeTempDir({ prefix: "quarry-persist-" });
  const key: TestKey = { id: "dave", key: "qk_dave", budget: 100_000, answer: "labels" };
  try {
    const model = await writeTinyWeights(dir);
    const keys = await writeKeysFile(dir, [key]);
    const usage = join(dir, "usage.json");
    const args = ["--model", model, "--keys", keys, "--usage", usage, "--port", "0"];
    const server = await spawnServer(args);
    let answered = 0;
    let killed = false;
    const images = randomImages(5, 4);
    const client = async () => {
      while (!killed) {
        try {
          const r = await postRaw(server.url, key.key, images, "5,28,28");
          if (r.status === 200) answered += 5;
        } catch {
          return; // the connection died with the server
        }
        if (answered >= 200 && !killed) {
          killed = true;
          await kill9(server.child);
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, client));
    const counted = JSON.parse(await Deno.readTextFile(usage)).used.dave as number;
    // Every answer a client got was on disk first; at most the 8 requests in flight are extra.
    assert.ok(counted >= answered, `usage ${counted} < answered ${answered}`);
    assert.ok(counted <= answered + 8 * 5, `usage ${counted} > answered ${answered} + in flight`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the CLI refuses a non-loopback host without --public", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-net",
      "--allow-env",
      CLI,
      "--host",
      "0.0.0.0",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 2);
  assert.match(new TextDecoder().decode(out.stderr), /Refusing to bind to "0\.0\.0\.0".*--public/);
});
