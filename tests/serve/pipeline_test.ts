/**
 * The loop against a served target end to end: the serve CLI as a child process (a key added by
 * `serve keys add`), and `repro` of the real `stages/select.ts` in the runner's sandbox, whose
 * `net:` names the server's port through `${params.port}` and whose `env:` lets the key in.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { join, relative } from "node:path";
import { cleanup, copyFixture, reproJson } from "../pipeline/_helpers.ts";
import { CLI, spawnServer } from "./_helpers.ts";
import { smokeSplits, trainTinyTarget } from "./_smoke.ts";

const REPO = fileURLToPath(new URL("../../", import.meta.url)).replace(/\/$/, "");
const KEY_ENV = "QUARRY_API_KEY";
const OUTS = ["trace.json", "trace.csv", "summary.json"];

/** The workspace: the fixture with the checkout's path filled in, data/ and target/ written. */
async function workspace(server: string): Promise<string> {
  const dir = copyFixture("oracle");
  const file = join(dir, "pipeline.yaml");
  await Deno.writeTextFile(file, (await Deno.readTextFile(file)).replaceAll("@repo@", REPO));
  await Deno.rename(await smokeSplits(server), join(dir, "data"));
  await Deno.mkdir(join(dir, "target"));
  await Deno.copyFile(
    await trainTinyTarget(join(dir, "data"), server),
    join(dir, "target/model.weights"),
  );
  return dir;
}

/** `serve keys add`: the fresh key, printed once on stdout. */
async function addKey(keys: string): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-write", CLI, "keys", "add", "--keys", keys]
      .concat(["--budget", "1000", "--answer", "probabilities", "--id", "attacker"]),
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).trim();
}

async function readOuts(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of OUTS) out[name] = await Deno.readTextFile(join(dir, "out/select", name));
  return out;
}

/** Files under `root` (recursively) whose bytes contain `needle`, relative to `root`. */
async function filesContaining(root: string, needle: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(dir)) {
      const path = join(dir, e.name);
      if (e.isDirectory) await walk(path);
      else if (e.isFile) {
        const text = new TextDecoder().decode(await Deno.readFile(path));
        if (text.includes(needle)) found.push(relative(root, path));
      }
    }
  };
  await walk(root);
  return found;
}

Deno.test("repro of select through the served target: the in-process trace, counted, key kept out", async () => {
  const server = await Deno.makeTempDir({ prefix: "quarry-serve-e2e-" });
  let dir: string | undefined;
  let child: Deno.ChildProcess | undefined;
  try {
    dir = await workspace(server);
    const keys = join(server, "keys.json");
    const key = await addKey(keys);
    const log = join(server, "access.jsonl");
    const started = await spawnServer([
      ...["--model", join(dir, "target/model.weights"), "--keys", keys, "--log", log],
      ...["--port", "0"],
    ]);
    child = started.child;
    const port = new URL(started.url).port;
    const http = ["--set", `port=${port}`, "--set", `active.oracle.url=${started.url}`];
    Deno.env.set(KEY_ENV, key);

    const local = await reproJson(dir, ["select", "--profile", "local"]);
    assert.deepEqual(local.result.ran, ["select"], local.stderr);
    const inProcess = await readOuts(dir);
    const remote = await reproJson(dir, ["select", ...http]);
    assert.deepEqual(remote.result.ran, ["select"], remote.stderr);
    assert.deepEqual(await readOuts(dir), inProcess);
    const trace = JSON.parse(inProcess["trace.json"]!) as { queries: number }[];
    const queries = trace[trace.length - 1]!.queries;
    assert.equal(queries, 150);

    // Without the key in its environment, and without the grant to reach the server.
    const refused = await reproJson(dir, ["no_env", "no_net", ...http]);
    assert.deepEqual(refused.result.failed, ["no_env", "no_net"]);
    assert.match(
      refused.stderr,
      /the environment variable QUARRY_API_KEY \(key_env\) is not set; export it and list it under the stage's env:/,
    );
    assert.match(
      refused.stderr,
      new RegExp(
        `Undeclared network access to "127\\.0\\.0\\.1:${port}": list the host under the stage's "net" key`,
      ),
    );

    // The server counted exactly the trace's queries, in the usage file and the access log.
    const usage = JSON.parse(await Deno.readTextFile(join(server, "keys.usage.json")));
    assert.deepEqual(usage.used, { attacker: queries });
    const lines = (await Deno.readTextFile(log)).trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(lines.reduce((n, l) => n + (l.images as number), 0), queries);
    // One health check (no key), then the seed and two rounds: no request was refused.
    assert.deepEqual(
      lines.map((l) => [l.path, l.key, l.status, l.images]),
      [
        ["/v1/health", null, 200, 0],
        ["/v1/predict", "attacker", 200, 50],
        ["/v1/predict", "attacker", 200, 50],
        ["/v1/predict", "attacker", 200, 50],
      ],
    );

    // The key is nowhere: not in the lock, the logs, the outs, the cache, nor the server's files.
    const lock = await Deno.readTextFile(join(dir, "pipeline.lock"));
    assert.ok(lock.includes(`127.0.0.1:${port}`)); // the scan below reads what it should
    assert.deepEqual(await filesContaining(dir, key), []);
    assert.deepEqual(await filesContaining(server, key), []);
    const logs = [...Deno.readDirSync(join(dir, ".quarry/logs"))].map((e) => e.name).sort();
    assert.deepEqual(logs, ["no_env.log", "no_net.log", "select.log"]);
  } finally {
    Deno.env.delete(KEY_ENV);
    if (child !== undefined) {
      child.kill("SIGTERM");
      await child.status;
    }
    if (dir !== undefined) cleanup(dir);
    await Deno.remove(server, { recursive: true });
  }
});
