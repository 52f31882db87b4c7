/**
 * `deno run -A bench/worker_memory.ts`: the memory of one whole worker, for
 * sizing a container (deploy/kubernetes/deployment.yaml, deploy/ecs/): the
 * launcher, the daemon's JVM and one processor process per leased shard,
 * running processor.ts against the local emulators while records flow.
 *
 * The JVM gets `-XX:MaxRAM=<--limit>m`, so it sizes its heap as it would
 * under a container memory limit of that size (25% by default). After a
 * warm-up, the worker's processes are sampled from `/proc/<pid>/smaps_rollup`
 * every 2 s; the largest value of each column per process is kept. Printed:
 * per role, RSS, PSS (shared pages divided among the processes mapping them,
 * which depends on how many run on the machine), private (USS: what one more
 * process of that role costs) and shared-clean (file pages, mostly the
 * executable's, counted once per machine). Options: `--shards 8`,
 * `--seconds 60`, `--rate 200` (records per second), `--limit 768` (MiB).
 * Needs Java and `-A` (`/proc`).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { ensureEmulatorsInstalled, putRecords, startEmulators } from "../src/local/emulators.ts";
import { ensureSylviteJar } from "../src/local/jar.ts";
import { LOCAL_PROFILE, localLaunch, prepareStream } from "../src/local/local_launch.ts";
import { sampleRecord } from "../src/local/producer.ts";

const ROOT = decodeURIComponent(new URL("..", import.meta.url).pathname).replace(/\/$/, "");
const encoder = new TextEncoder();
const say = (text: string) => Deno.stderr.writeSync(encoder.encode(`${text}\n`));

const { values } = parseArgs({
  args: Deno.args,
  options: {
    shards: { type: "string", default: "8" },
    seconds: { type: "string", default: "60" },
    rate: { type: "string", default: "200" },
    limit: { type: "string", default: "768" },
  },
});
const shardCount = Number(values.shards);
const seconds = Number(values.seconds);
const rate = Number(values.rate);
const limit = Number(values.limit);
for (const [name, value] of Object.entries({ shardCount, seconds, rate, limit })) {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a whole number`);
}

type Role = "launcher" | "java" | "shard";
interface Memory {
  rss: number;
  pss: number;
  private: number;
  sharedClean: number;
}

/** The descendants of a process, from /proc/<pid>/task/<every thread>/children. */
function descendants(pid: number): number[] {
  const children: number[] = [];
  try {
    for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
      const text = Deno.readTextFileSync(`/proc/${pid}/task/${task.name}/children`);
      children.push(...text.trim().split(/\s+/).filter((s) => s !== "").map(Number));
    }
  } catch {
    // exited
  }
  return children.flatMap((child) => [child, ...descendants(child)]);
}

function role(pid: number): Role | undefined {
  try {
    const words = Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0");
    if (words.some((w) => w.endsWith("sylvite.jar"))) return "java";
    if (words.some((w) => w.endsWith("processor.ts"))) {
      return words.includes("launch") ? "launcher" : "shard";
    }
  } catch {
    // exited
  }
  return undefined;
}

/** MiB from smaps_rollup's kB fields. */
function memory(pid: number): Memory | undefined {
  let text: string;
  try {
    text = Deno.readTextFileSync(`/proc/${pid}/smaps_rollup`);
  } catch {
    return undefined;
  }
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(text)?.[1]);
  return {
    rss: kb("Rss") / 1024,
    pss: kb("Pss") / 1024,
    private: (kb("Private_Clean") + kb("Private_Dirty")) / 1024,
    sharedClean: kb("Shared_Clean") / 1024,
  };
}

say(`building sylvite.jar if needed, starting the emulators`);
const jar = await ensureSylviteJar();
await ensureEmulatorsInstalled();
await using emulators = await startEmulators();
const stream = "memory-orders";
const application = `kclts-memory-${Date.now().toString(36)}`;
await prepareStream(emulators, stream, shardCount, application);
const launch = localLaunch({
  emulators,
  jar,
  processor: `${ROOT}/processor.ts`,
  stream,
  application,
  workerId: "memory-worker",
  profile: `${ROOT}/${LOCAL_PROFILE}`,
  env: {
    KCLTS_LOG_LEVEL: "warning",
    KCLTS_STOP_TIMEOUT_SECONDS: "20",
    KCLTS_JAVA_OPTS: `-XX:+ExitOnOutOfMemoryError -XX:MaxRAM=${limit}m`,
    KCL_MAX_LEASES_FOR_WORKER: String(shardCount),
  },
});
say(`launching processor.ts with ${shardCount} shards, ${rate} records/s, for ${seconds} s`);
const launcher = new Deno.Command(Deno.execPath(), {
  args: launch.args,
  cwd: ROOT,
  env: launch.env,
  stdin: "null",
  stdout: "null",
  stderr: "null",
}).spawn();

const peaks = new Map<number, { role: Role; memory: Memory }>();
let put = 0;
const started = Date.now();
const warmUp = Math.min(30, seconds / 2) * 1000;
while (Date.now() - started < seconds * 1000) {
  const tick = Date.now();
  const batch = Array.from({ length: rate * 2 }, (_, i) => {
    const { value, partitionKey } = sampleRecord(put + i);
    return { data: JSON.stringify(value), partitionKey };
  });
  await putRecords(emulators.kinesisEndpoint, stream, batch);
  put += batch.length;
  if (tick - started >= warmUp) {
    for (const pid of [launcher.pid, ...descendants(launcher.pid)]) {
      const r = role(pid);
      const m = r && memory(pid);
      if (!r || !m) continue;
      const peak = peaks.get(pid);
      if (!peak) peaks.set(pid, { role: r, memory: m });
      else {
        for (const key of Object.keys(m) as (keyof Memory)[]) {
          peak.memory[key] = Math.max(peak.memory[key], m[key]);
        }
      }
    }
  }
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, 2000 - (Date.now() - tick))));
}
launcher.kill("SIGTERM");
const { code } = await launcher.status;

const f = (n: number) => n.toFixed(1).padStart(7);
const lines = [
  `worker memory: ${shardCount} shards, ${put} records put at ${rate}/s, JVM MaxRAM ${limit} MiB,` +
  ` launcher exit code ${code}; peak MiB per process`,
  `role      count      rss      pss  private  shared-clean`,
];
const byRole = (r: Role) => [...peaks.values()].filter((p) => p.role === r).map((p) => p.memory);
for (const r of ["java", "launcher", "shard"] as Role[]) {
  const all = byRole(r);
  if (all.length === 0) continue;
  const max = (key: keyof Memory) => Math.max(...all.map((m) => m[key]));
  lines.push(
    `${r.padEnd(8)} ${String(all.length).padStart(6)} ${f(max("rss"))}  ${f(max("pss"))}  ` +
      `${f(max("private"))}  ${f(max("sharedClean"))}`,
  );
}
const jvm = byRole("java")[0]?.rss ?? 0;
const launcherPrivate = byRole("launcher")[0]?.private ?? 0;
const shards = byRole("shard");
const shardPrivate = Math.max(0, ...shards.map((m) => m.private));
const shared = Math.max(0, ...shards.map((m) => m.sharedClean));
lines.push(
  `worker: JVM rss + launcher private + shared once + ${shardCount} x shard private = ` +
    `${(jvm + launcherPrivate + shared + shardCount * shardPrivate).toFixed(0)} MiB`,
);
Deno.stdout.writeSync(encoder.encode(lines.join("\n") + "\n"));
if (code !== 0 || shards.length !== shardCount) {
  say(`expected ${shardCount} shard processes and exit code 0`);
  Deno.exit(1);
}
