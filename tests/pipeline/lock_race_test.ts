import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { cleanup } from "./_helpers.ts";

const RACER = fileURLToPath(new URL("./_lock_racer.ts", import.meta.url));

Deno.test("taking over a stale lock is atomic: 20 rounds of 6 racers, never two holders", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "quarry-lockrace-" });
  try {
    for (let round = 0; round < 20; round++) {
      const rd = join(dir, `r${round}`);
      Deno.mkdirSync(join(rd, "holders"), { recursive: true });
      const lockPath = join(rd, "repro.pid");
      // A stale lock: its process is gone; every racer sees it and tries to take it over.
      Deno.writeTextFileSync(lockPath, JSON.stringify({ pid: 999999999, command: "gone" }));
      const racers = Array.from({ length: 6 }, () =>
        new Deno.Command(Deno.execPath(), {
          args: ["run", "-A", RACER, lockPath, rd],
          stdout: "piped",
          stderr: "inherit",
        }).spawn());
      while ([...Deno.readDirSync(rd)].filter((e) => e.name.startsWith("ready-")).length < 6) {
        await new Promise((r) => setTimeout(r, 5));
      }
      Deno.writeTextFileSync(join(rd, "go"), "");
      const results = await Promise.all(
        racers.map(async (c) => new TextDecoder().decode((await c.output()).stdout).trim()),
      );
      const held = results.filter((r) => r === "held").length;
      assert.ok(
        results.every((r) => r === "held" || r === "busy"),
        `round ${round}: ${results.join(", ")}`,
      );
      assert.ok(held >= 1, `round ${round}: nobody took over the stale lock`);
    }
  } finally {
    cleanup(dir);
  }
});
