/**
 * Starts the serve CLI as a child process and waits until it listens: shared by the serve
 * benchmark and the tests that run the CLI.
 *
 * @module
 */

/** `lib/serve/cli.ts`, the entry point {@linkcode spawnServer} runs. */
export const CLI = new URL("./cli.ts", import.meta.url).pathname;

/**
 * Starts the CLI with `args` (pass `--port 0` for a free port) and waits for its
 * "listening on" line; the caller owns the child (kill it by its PID when done).
 */
export async function spawnServer(
  args: string[],
): Promise<{ child: Deno.ChildProcess; url: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-write", "--allow-net", "--allow-env", CLI, ...args],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const text = child.stdout.pipeThrough(new TextDecoderStream());
  const reader = text.getReader();
  let seen = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) {
      await child.status;
      throw new Error(`server exited before listening: ${seen}`);
    }
    seen += value;
    const m = /listening on (http:\/\/127\.0\.0\.1:[0-9]+)/.exec(seen);
    if (m !== null) {
      reader.releaseLock();
      // Keep draining stdout so the child never blocks on a full pipe.
      text.pipeTo(new WritableStream()).catch(() => {});
      return { child, url: m[1]! };
    }
  }
}
