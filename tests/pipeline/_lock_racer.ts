// One racer of the lock race test: signals ready, waits for the start file, tries to take the
// lock once; a holder checks (in a shared folder) that it is the only holder, twice, apart.
import { join } from "node:path";
import { acquireProcessLock } from "../../lib/pipeline/process_lock.ts";

const [lockPath, dir] = Deno.args as [string, string];
Deno.writeTextFileSync(join(dir, `ready-${Deno.pid}`), "");
while (true) {
  try {
    Deno.statSync(join(dir, "go"));
    break;
  } catch {
    await new Promise((r) => setTimeout(r, 2));
  }
}
const holders = join(dir, "holders");
const count = () => [...Deno.readDirSync(holders)].length;
let result = "busy";
try {
  const held = await acquireProcessLock(lockPath, { command: `racer ${Deno.pid}` });
  Deno.writeTextFileSync(join(holders, String(Deno.pid)), "");
  const first = count();
  await new Promise((r) => setTimeout(r, 300));
  const second = count();
  result = first === 1 && second === 1 ? "held" : `double(${first},${second})`;
  Deno.removeSync(join(holders, String(Deno.pid)));
  held.release();
} catch (e) {
  if ((e as Error).name !== "WorkspaceBusyError") result = `error ${(e as Error).message}`;
}
console.log(result);
