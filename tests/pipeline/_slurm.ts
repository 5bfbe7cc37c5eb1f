/**
 * Test helper: a single-node Slurm cluster (Debian's slurm-wlm and munge) whose daemons run in the
 * foreground as children of the test (`munged -F`, `slurmctld -D`, `slurmd -D`), with a config,
 * state and logs under a temp folder and free loopback ports. Stopped by PID: `scancel` first,
 * then TERM (KILL after a bounded wait) to each daemon, then any process still carrying the
 * cluster's marker variable (a `slurmstepd` outlives `slurmd`) and its descendants. After
 * `/work/shared/research/slurm-local.sh`.
 *
 * @module
 */
import { join } from "node:path";

/** A running cluster. */
export interface SlurmCluster {
  /** Its folder (config, state, logs). */
  readonly dir: string;
  /** Env for client commands (`SLURM_CONF`). */
  readonly env: Record<string, string>;
  /** Stops everything it started. */
  stop(): Promise<void>;
}

const dec = new TextDecoder();

async function run(cmd: string, args: string[], env: Record<string, string> = {}) {
  try {
    const o = await new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "piped" }).output();
    return { ok: o.success, out: dec.decode(o.stdout), err: dec.decode(o.stderr) };
  } catch (e) {
    return { ok: false, out: "", err: (e as Error).message };
  }
}

async function waitFor(seconds: number, check: () => Promise<boolean>): Promise<boolean> {
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

function freePorts(n: number): number[] {
  const ls = Array.from({ length: n }, () => Deno.listen({ hostname: "127.0.0.1", port: 0 }));
  const ports = ls.map((l) => (l.addr as Deno.NetAddr).port);
  for (const l of ls) l.close();
  return ports;
}

function conf(d: string, host: string, node: string, port: number, slurmdPort: number): string {
  return `ClusterName=quarrytest
SlurmctldHost=${host}(127.0.0.1)
SlurmctldPort=${port}
SlurmdPort=${slurmdPort}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=${d}/munge/munge.socket
StateSaveLocation=${d}/state
SlurmdSpoolDir=${d}/spool
SlurmctldPidFile=${d}/run/slurmctld.pidfile
SlurmdPidFile=${d}/run/slurmd.pidfile
SlurmctldLogFile=${d}/log/slurmctld.log
SlurmdLogFile=${d}/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
MinJobAge=300
${node} NodeAddr=127.0.0.1 RealMemory=1024 State=UNKNOWN
PartitionName=debug Nodes=${host} Default=YES MaxTime=INFINITE State=UP
`;
}

/** PIDs of processes whose environment holds `mark`, and all their descendants. */
function markedPids(mark: string): number[] {
  const parent = new Map<number, number>();
  const roots: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    const pid = Number(e.name);
    if (!Number.isInteger(pid) || pid === Deno.pid) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
      parent.set(pid, Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
      if (Deno.readTextFileSync(`/proc/${pid}/environ`).split("\0").includes(mark)) roots.push(pid);
    } catch { /* gone, or not ours to read */ }
  }
  const out = new Set(roots);
  for (let grown = true; grown;) {
    grown = false;
    for (const [p, pp] of parent) if (!out.has(p) && out.has(pp)) (out.add(p), grown = true);
  }
  return [...out];
}

/** Starts the cluster; `{ skip }` with the reason when it cannot. */
export async function startSlurm(): Promise<SlurmCluster | { skip: string }> {
  for (const bin of ["munged", "mungekey", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo"]) {
    if (!(await run("sh", ["-c", `command -v ${bin}`])).ok) {
      return { skip: `${bin} is not installed (apt-get install slurm-wlm munge; see .ci/run)` };
    }
  }
  const d = Deno.makeTempDirSync({ prefix: "quarry-slurm-" });
  for (const sub of ["munge", "state", "spool", "log", "run"]) Deno.mkdirSync(join(d, sub));
  Deno.chmodSync(d, 0o755); // munged wants its socket folder executable by all
  Deno.chmodSync(join(d, "munge"), 0o755);
  const mark = `QUARRY_SLURM_TEST_MARK=${d}`;
  const env = { [mark.split("=")[0]!]: d, SLURM_CONF: join(d, "slurm.conf") };
  const children: { name: string; child: Deno.ChildProcess }[] = [];
  const spawn = (name: string, cmd: string, args: string[]) => {
    const log = Deno.openSync(join(d, "log", `${name}.out`), { write: true, create: true });
    const child = new Deno.Command(cmd, { args, env, stdout: "null", stderr: "piped" }).spawn();
    child.stderr.pipeTo(log.writable).catch(() => {});
    children.push({ name, child });
  };
  const stop = async () => {
    await run("sh", ["-c", "squeue -h -o %i | xargs -r scancel"], env);
    for (const { child } of children.reverse()) {
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      const t = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* gone */ }
      }, 15_000);
      await child.status;
      clearTimeout(t);
    }
    for (const pid of markedPids(mark)) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch { /* gone */ }
    }
    Deno.removeSync(d, { recursive: true });
  };
  const fail = async (why: string) => {
    const logs = ["slurmctld.log", "slurmd.log", "munged.out", "slurmctld.out", "slurmd.out"]
      .map((f) => {
        try {
          return `${f}: ${Deno.readTextFileSync(join(d, "log", f)).slice(-600)}`;
        } catch {
          return "";
        }
      }).join("\n");
    await stop();
    return { skip: `${why}\n${logs}` };
  };
  const sock = join(d, "munge", "munge.socket");
  if (!(await run("mungekey", ["--create", `--keyfile=${join(d, "munge", "munge.key")}`])).ok) {
    return fail("mungekey failed");
  }
  spawn("munged", "munged", [
    "-F",
    `--socket=${sock}`,
    `--key-file=${join(d, "munge", "munge.key")}`,
    `--pid-file=${join(d, "run", "munged.pidfile")}`,
    `--log-file=${join(d, "log", "munged.log")}`,
    `--seed-file=${join(d, "munge", "munged.seed")}`,
  ]);
  if (!(await waitFor(10, async () => (await run("munge", ["-S", sock, "-n"])).ok))) {
    return fail("munged did not come up");
  }
  const host = (await run("hostname", ["-s"])).out.trim();
  const node = (await run("slurmd", ["-C"])).out.split("\n")[0]!.replace(/ RealMemory=\d+/, "");
  const [port, slurmdPort] = freePorts(2);
  Deno.writeTextFileSync(env.SLURM_CONF!, conf(d, host, node, port!, slurmdPort!));
  spawn("slurmctld", "slurmctld", ["-D", "-c", "-f", env.SLURM_CONF!]);
  spawn("slurmd", "slurmd", ["-D", "-N", host, "-f", env.SLURM_CONF!]);
  const idle = async () =>
    (await run("sinfo", ["-h", "-n", host, "-o", "%T"], env)).out.trim() === "idle";
  if (!(await waitFor(60, idle))) return fail("the node did not become idle within 60 s");
  return { dir: d, env: { SLURM_CONF: env.SLURM_CONF! }, stop };
}
