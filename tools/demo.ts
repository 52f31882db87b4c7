/**
 * `deno task demo`: the whole pipeline on this machine, no AWS account.
 *
 * Builds sylvite.jar if missing, installs and starts the emulators
 * (kinesis-mock, dynalite) on 127.0.0.1, creates a 4-shard stream and its
 * lease table, launches the template processor (processor.ts) through the
 * real KCL daemon with the launcher, puts sample orders continuously, and
 * shows live, per shard, the records put and processed and the checkpoints
 * stored in DynamoDB. Ctrl+C (or `--seconds N`) stops everything cleanly and
 * prints a summary.
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  ensureEmulatorsInstalled,
  ensureSylviteJar,
  type LeaseItem,
  putRecords,
  scanLeases,
  startEmulators,
} from "./emulators.ts";
import { forEachLine, localLaunch, prepareStream, ROOT } from "./local_launch.ts";

const encoder = new TextEncoder();

const { values } = parseArgs({
  args: Deno.args,
  options: {
    seconds: { type: "string" },
    shards: { type: "string", default: "4" },
    rate: { type: "string", default: "20" },
    help: { type: "boolean", short: "h" },
  },
});
if (values.help) {
  print(`deno task demo [--seconds N] [--shards N] [--rate RECORDS_PER_SECOND]

Runs the local pipeline (emulators, the KCL daemon, processor.ts) and shows it live.
Ctrl+C stops it; --seconds stops it after N seconds.
`);
  Deno.exit(0);
}
const shardCount = Number(values.shards);
const rate = Number(values.rate);
const seconds = values.seconds === undefined ? Infinity : Number(values.seconds);
const tty = Deno.stdout.isTerminal();

function print(text: string): void {
  Deno.stdout.writeSync(encoder.encode(text));
}

function step(text: string): void {
  print(`• ${text}\n`);
}

const stopped = Promise.withResolvers<string>();
const onSignal = (signal: string) => () => stopped.resolve(signal);
Deno.addSignalListener("SIGINT", onSignal("Ctrl+C"));
Deno.addSignalListener("SIGTERM", onSignal("SIGTERM"));

step("building sylvite.jar if needed and installing the emulators");
const jar = await ensureSylviteJar();
await ensureEmulatorsInstalled();
step("starting kinesis-mock and dynalite on 127.0.0.1");
const emulators = await startEmulators();
const stream = "demo-orders";
const application = `kclts-demo-${Date.now().toString(36)}`;
const shards = await prepareStream(emulators, stream, shardCount, application);
step(`stream ${stream} (${shardCount} shards) at ${emulators.kinesisEndpoint}`);
step(`lease table ${application} at ${emulators.dynamoEndpoint}`);

step("launching processor.ts through the KCL daemon: processor.ts launch");
const launch = localLaunch({
  emulators,
  jar,
  processor: `${ROOT}/processor.ts`,
  stream,
  application,
  workerId: "demo-worker",
  env: { CHECKPOINT_FREQ_SECONDS: "2" },
});
const launcher = new Deno.Command(Deno.execPath(), {
  args: launch.args,
  cwd: ROOT,
  env: launch.env,
  stdin: "null",
  stdout: "piped",
  stderr: "piped",
  // Its own session: Ctrl+C reaches only this demo, which then stops the daemon gracefully.
  detached: true,
}).spawn();

interface ShardView {
  put: number;
  processed: number;
  lastPut: string;
}
const view = new Map<string, ShardView>(
  shards.map((s) => [s.shardId, { put: 0, processed: 0, lastPut: "" }]),
);
const putKeys = new Set<string>();
const processedKeys = new Set<string>();
let duplicates = 0;
const notes: string[] = [];
const note = (text: string) => {
  notes.push(text.length > 150 ? text.slice(0, 147) + "..." : text);
  if (notes.length > 6) notes.shift();
};

function handle(line: string): void {
  if (!line.startsWith("{")) {
    if (/ (WARN|ERROR) /.test(line) || line.includes("starting the KCL daemon")) note(line.trim());
    return;
  }
  let record;
  try {
    record = JSON.parse(line);
  } catch {
    return;
  }
  const p = record.properties ?? {};
  if (record.logger === "processor" && typeof p.sequenceNumber === "string") {
    const key = `${p.shardId}/${p.sequenceNumber}`;
    if (processedKeys.has(key)) duplicates++;
    processedKeys.add(key);
    const shard = view.get(p.shardId);
    if (shard) shard.processed++;
  } else if (record.level !== "DEBUG" && record.level !== "TRACE") {
    note(`${record.level} ${record.logger}: ${record.message}`);
  }
}

const pumps = Promise.all([
  forEachLine(launcher.stderr, handle),
  forEachLine(launcher.stdout, handle),
]);

let produced = 0;
let producing = true;
const producer = (async () => {
  const perTick = Math.max(1, Math.round(rate / 4));
  while (producing) {
    const records = Array.from({ length: perTick }, () => {
      const orderId = ++produced;
      return {
        data: JSON.stringify({
          orderId,
          customer: `customer-${orderId % 17}`,
          amount: Math.round(Math.random() * 10_000) / 100,
          at: new Date().toISOString(),
        }),
        partitionKey: `customer-${orderId % 17}-${orderId}`,
      };
    });
    try {
      const results = await putRecords(emulators.kinesisEndpoint, stream, records);
      for (const result of results) {
        putKeys.add(`${result.shardId}/${result.sequenceNumber}`);
        const shard = view.get(result.shardId);
        if (shard) {
          shard.put++;
          shard.lastPut = result.sequenceNumber;
        }
      }
    } catch (error) {
      note(`producer: ${(error as Error).message}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
})();

const started = Date.now();
let leases: LeaseItem[] = [];
const short = (seq: string | undefined) =>
  !seq ? "-" : /^[0-9]+$/.test(seq) ? `…${seq.slice(-8)}` : seq;

function render(final = false): string {
  const rows = [...view].map(([shardId, shard]) => {
    const lease = leases.find((l) => l.leaseKey === shardId);
    const caughtUp = lease?.checkpoint === shard.lastPut && shard.lastPut !== "";
    return `${shardId}  ${String(shard.put).padStart(6)}  ${String(shard.processed).padStart(9)}  ${
      short(lease?.checkpoint).padEnd(14)
    }${caughtUp ? " ✓" : "  "}  ${lease?.leaseOwner ?? "-"}`;
  });
  const put = [...view.values()].reduce((a, s) => a + s.put, 0);
  const processed = [...view.values()].reduce((a, s) => a + s.processed, 0);
  const elapsed = ((Date.now() - started) / 1000).toFixed(0);
  return [
    `kclts demo: ${stream} → KCL daemon → processor.ts   (${elapsed} s${
      final ? "" : ", Ctrl+C to stop"
    })`,
    "",
    "shard                    put  processed  checkpoint         owner",
    ...rows,
    `total               ${String(put).padStart(6)}  ${String(processed).padStart(9)}`,
    "",
    ...notes.map((n) => `  ${n}`),
    "",
  ].join("\n");
}

const deadline = Number.isFinite(seconds)
  ? setTimeout(() => stopped.resolve(`${seconds} s elapsed`), seconds * 1000)
  : undefined;
const exitedEarly = launcher.status.then((status) =>
  stopped.resolve(`the launcher exited (${status.code})`)
);
let ticks = 0;
const refresh = setInterval(async () => {
  try {
    leases = await scanLeases(emulators.dynamoEndpoint, application);
  } catch {
    // the table is being created or the emulator stopped
  }
  ticks++;
  if (tty) print(`\x1b[H\x1b[2J${render()}`);
  else if (ticks % 5 === 0) print(render());
}, 1000);

const reason = await stopped.promise;
clearTimeout(deadline);
clearInterval(refresh);
print(
  `\n• stopping (${reason}): producer, then the daemon (graceful shutdown), then the emulators\n`,
);
producing = false;
await producer;
// Let the processor catch up with what was put (at most 15 s) before the shutdown.
for (
  let waited = 0;
  waited < 15_000 && [...putKeys].some((k) => !processedKeys.has(k));
  waited += 250
) {
  if (reason.startsWith("the launcher exited")) break;
  await new Promise((resolve) => setTimeout(resolve, 250));
}
try {
  launcher.kill("SIGTERM");
} catch {
  // already exited
}
const status = await launcher.status;
await exitedEarly;
await pumps;
leases = await scanLeases(emulators.dynamoEndpoint, application).catch(() => leases);
await emulators.stop();
print(render(true));
const lost = [...putKeys].filter((k) => !processedKeys.has(k)).length;
print(
  `• put ${putKeys.size}, processed ${processedKeys.size}, not processed ${lost}, processed twice ${duplicates}; daemon exit code ${status.code}\n`,
);
Deno.exit(status.code === 0 ? 0 : 1);
