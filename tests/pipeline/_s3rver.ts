/**
 * Test helper: an `s3rver` (npm, pinned in deno.json) on 127.0.0.1 with a free port, started as a
 * child process and stopped by its PID. Returns `{ skip: reason }` (the test skips loudly) when it
 * cannot start.
 *
 * @module
 */
import { fileURLToPath } from "node:url";

/** A running s3rver. */
export interface S3rver {
  /** `http://127.0.0.1:PORT`. */
  readonly endpoint: string;
  /** The bucket it was started with. */
  readonly bucket: string;
  /** Env for the runner: endpoint, region and s3rver's fixed keys. */
  readonly env: Record<string, string>;
  /** Stops it (by PID) and removes its data folder. */
  stop(): Promise<void>;
}

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Starts s3rver with one bucket; `{ skip: reason }` when it cannot. */
export async function startS3rver(
  bucket = "quarry",
): Promise<S3rver | { skip: string }> {
  // The version pinned in deno.json (and deno.lock), installed by `deno install`.
  const spec = JSON.parse(Deno.readTextFileSync(`${ROOT}/deno.json`)).imports?.s3rver;
  if (typeof spec !== "string") return { skip: "deno.json imports has no s3rver" };
  const dir = Deno.makeTempDirSync({ prefix: "quarry-s3rver-" });
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", spec, "-d", dir, "-a", "127.0.0.1", "-p", "0", "-s"]
        .concat(["--configure-bucket", bucket]),
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (e) {
    Deno.removeSync(dir, { recursive: true });
    return { skip: `cannot spawn s3rver: ${(e as Error).message}` };
  }
  const stopChild = async () => {
    try {
      Deno.kill(child.pid, "SIGTERM");
    } catch { /* already gone */ }
    await child.status;
    Deno.removeSync(dir, { recursive: true });
  };
  const errText = new Response(child.stderr).text();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  const timer = setTimeout(() => reader.cancel(), 60_000);
  let port: string | undefined;
  while (!port) {
    const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
    if (done) break;
    seen += value;
    port = /listening on 127\.0\.0\.1:(\d+)/.exec(seen)?.[1];
  }
  clearTimeout(timer);
  if (!port) {
    await stopChild();
    return { skip: `s3rver did not start: ${seen}${await errText}`.trim() };
  }
  // Keep draining its output so it never blocks on a full pipe.
  (async () => {
    try {
      while (!(await reader.read()).done) { /* drain */ }
    } catch { /* closed */ }
  })();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    env: {
      AWS_ENDPOINT_URL: endpoint,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "S3RVER",
      AWS_SECRET_ACCESS_KEY: "S3RVER",
    },
    stop: stopChild,
  };
}
