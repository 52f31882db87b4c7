/**
 * The demo: the whole pipeline on this machine, no AWS account, for any
 * processor file (`deno task demo`, `local demo [processor.ts]`).
 *
 * Builds sylvite.jar if missing, installs and starts the emulators
 * (kinesis-mock, dynalite) on 127.0.0.1, creates a stream and its lease
 * table, launches the processor through the real KCL daemon with its own
 * launcher (`processor.ts launch`), puts sample orders continuously, and
 * shows live, per shard, the records put and processed and the checkpoints
 * stored in DynamoDB. Ctrl+C (or `seconds`) stops everything cleanly and
 * prints a summary. Output for people goes to stdout (the demo is not a
 * processor); the tools' logs go to stderr.
 *
 * @module
 */

import {
  ensureEmulatorsInstalled,
  type LeaseItem,
  putRecords,
  scanLeases,
  startEmulators,
} from "./emulators.ts";
import { ensureSylviteJar } from "./jar.ts";
import {
  forEachLine,
  LOCAL_POLLING_PROFILE,
  LOCAL_PROFILE,
  localLaunch,
  prepareStream,
} from "./local_launch.ts";
import { readPackageFile } from "./package.ts";
import { exists } from "./run.ts";
import { sampleRecord } from "./producer.ts";
import { compareSequenceNumbers } from "../protocol/sequence.ts";
import { writeAllSync } from "../transport/write_all.ts";

/** Options of {@linkcode runDemo}. */
export interface DemoOptions {
  /** The processor's main module (a path). */
  processor: string;
  /** The project directory (`properties/` is taken from there if it has one). @default {Deno.cwd()} */
  cwd?: string;
  /** Stop after this many seconds. @default {Infinity: until Ctrl+C} */
  seconds?: number;
  /** The stream's shards. @default {4} */
  shards?: number;
  /** Records put per second. @default {20} */
  rate?: number;
  /** Hub mode (`launch --hub`): one processor process for every shard, a socat relay per shard. */
  hub?: boolean;
}

function print(text: string): void {
  writeAllSync(Deno.stdout, text);
}

function step(text: string): void {
  print(`• ${text}\n`);
}

/**
 * A properties file of the project, else the package's own copy (in a temporary directory).
 *
 * @param cwd The project directory.
 * @param relative The file, e.g. `properties/local.properties`.
 * @param tmp The temporary directory for a copy.
 * @returns The path to use.
 */
async function propertiesFile(cwd: string, relative: string, tmp: string): Promise<string> {
  if (await exists(`${cwd}/${relative}`)) return `${cwd}/${relative}`;
  const copy = `${tmp}/${relative.slice(relative.lastIndexOf("/") + 1)}`;
  await Deno.writeFile(copy, await readPackageFile(relative));
  return copy;
}

/** The launcher's processes by role, with the sum of their PSS (shared pages counted once). */
function describeProcesses(root: number): string {
  const roles = { hub: [] as number[], relays: [] as number[], children: [] as number[] };
  const walk = (pid: number) => {
    let tasks: string[] = [];
    try {
      tasks = [...Deno.readDirSync(`/proc/${pid}/task`)].map((t) => t.name);
    } catch {
      return;
    }
    for (const task of tasks) {
      let children = "";
      try {
        children = Deno.readTextFileSync(`/proc/${pid}/task/${task}/children`).trim();
      } catch {
        continue;
      }
      for (const child of children.split(" ").filter(Boolean).map(Number)) {
        let cmdline = "";
        try {
          cmdline = Deno.readTextFileSync(`/proc/${child}/cmdline`);
        } catch {
          continue;
        }
        if (cmdline.includes("\0hub\0--socket\0")) roles.hub.push(child);
        else if (cmdline.startsWith("socat\0") || cmdline.includes("/socat\0")) {
          roles.relays.push(child);
        } else if (!cmdline.includes("sylvite.jar")) roles.children.push(child);
        walk(child);
      }
    }
  };
  walk(root);
  const pss = (pids: number[]) =>
    pids.reduce((sum, pid) => {
      try {
        const m = /^Pss:\s+(\d+) kB/m.exec(Deno.readTextFileSync(`/proc/${pid}/smaps_rollup`));
        return sum + Number(m?.[1] ?? 0);
      } catch {
        return sum;
      }
    }, 0) / 1024;
  if (roles.hub.length > 0) {
    return `hub mode: 1 processor process (the hub) + ${roles.relays.length} socat relays, ${
      pss([...roles.hub, ...roles.relays]).toFixed(1)
    } MiB PSS in all`;
  }
  return `a process per shard: ${roles.children.length} processor processes, ${
    pss(roles.children).toFixed(1)
  } MiB PSS in all`;
}

/**
 * Runs the demo until Ctrl+C (SIGINT), SIGTERM, `seconds`, or the launcher's exit.
 *
 * @param options The processor, the project directory, duration, shards, rate.
 * @returns The exit code: 0 if the daemon stopped cleanly.
 */
export async function runDemo(options: DemoOptions): Promise<number> {
  const cwd = options.cwd ?? Deno.cwd();
  const shardCount = options.shards ?? 4;
  const rate = options.rate ?? 20;
  const seconds = options.seconds ?? Infinity;
  const processorName = options.processor.slice(options.processor.lastIndexOf("/") + 1);
  const tty = Deno.stdout.isTerminal();

  const stopped = Promise.withResolvers<string>();
  const listeners: [Deno.Signal, () => void][] = [
    ["SIGINT", () => stopped.resolve("Ctrl+C")],
    ["SIGTERM", () => stopped.resolve("SIGTERM")],
  ];
  for (const [signal, listener] of listeners) Deno.addSignalListener(signal, listener);

  step("building sylvite.jar if needed and installing the emulators");
  const jar = await ensureSylviteJar();
  await ensureEmulatorsInstalled();
  const tmp = await Deno.makeTempDir({ prefix: "kclts-demo-" });
  const profile = await propertiesFile(cwd, LOCAL_PROFILE, tmp);
  const pollingProfile = await propertiesFile(cwd, LOCAL_POLLING_PROFILE, tmp);
  const template = Deno.env.get("KCLTS_PROPERTIES") ??
    await propertiesFile(cwd, "properties/kcl.properties", tmp);
  step("starting kinesis-mock and dynalite on 127.0.0.1");
  const emulators = await startEmulators();
  const stream = "demo-orders";
  const application = `kclts-demo-${Date.now().toString(36)}`;
  const shards = await prepareStream(emulators, stream, shardCount, application);
  step(`stream ${stream} (${shardCount} shards) at ${emulators.kinesisEndpoint}`);
  step(`lease table ${application} at ${emulators.dynamoEndpoint}`);

  step(
    `launching ${processorName} through the KCL daemon: ${processorName} launch${
      options.hub ? " --hub (hub mode: one processor process, a socat relay per shard)" : ""
    }`,
  );
  const launch = localLaunch({
    emulators,
    jar,
    processor: options.processor,
    stream,
    application,
    workerId: "demo-worker",
    profile,
    pollingProfile,
    env: { CHECKPOINT_FREQ_SECONDS: "2", KCLTS_PROPERTIES: template },
    ...(options.hub ? { args: ["--hub"] } : {}),
  });
  const launcher = new Deno.Command(Deno.execPath(), {
    args: launch.args,
    cwd,
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
    sequences: string[];
  }
  const view = new Map<string, ShardView>(
    shards.map((s) => [s.shardId, { put: 0, processed: 0, lastPut: "", sequences: [] }]),
  );
  const putKeys = new Set<string>();
  const processedKeys = new Set<string>();
  let duplicates = 0;
  const notes: string[] = [];
  const note = (text: string) => {
    notes.push(text.length > 150 ? text.slice(0, 147) + "..." : text);
    if (notes.length > 6) notes.shift();
  };

  const handle = (line: string): void => {
    if (!line.startsWith("{")) {
      if (/ (WARN|ERROR) /.test(line) || line.includes("starting the KCL daemon")) {
        note(line.trim());
      }
      return;
    }
    let record;
    try {
      record = JSON.parse(line);
    } catch {
      return;
    }
    const p = record.properties ?? {};
    // The template logs one debug line per record, with its shard and sequence number; kclts's
    // own loggers ("kclts", "kclts.*") are not the processor's.
    const own = typeof record.logger === "string" && /^kclts(\.|$)/.test(record.logger);
    if (!own && typeof p.sequenceNumber === "string" && typeof p.shardId === "string") {
      const key = `${p.shardId}/${p.sequenceNumber}`;
      if (processedKeys.has(key)) duplicates++;
      processedKeys.add(key);
      const shard = view.get(p.shardId);
      if (shard) shard.processed++;
    } else if (record.level !== "DEBUG" && record.level !== "TRACE") {
      note(`${record.level} ${record.logger}: ${record.message}`);
    }
  };

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
        const { value, partitionKey } = sampleRecord(produced++);
        return { data: JSON.stringify(value), partitionKey };
      });
      try {
        const results = await putRecords(emulators.kinesisEndpoint, stream, records);
        for (const result of results) {
          putKeys.add(`${result.shardId}/${result.sequenceNumber}`);
          const shard = view.get(result.shardId);
          if (shard) {
            shard.put++;
            shard.lastPut = result.sequenceNumber;
            shard.sequences.push(result.sequenceNumber);
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
  // Records at or before a shard's checkpoint: kclts never checkpoints an unprocessed record.
  const checkpointed = (shardId: string, shard: ShardView): number => {
    const checkpoint = leases.find((l) => l.leaseKey === shardId)?.checkpoint;
    if (!checkpoint || !/^[0-9]+$/.test(checkpoint)) {
      return checkpoint === "SHARD_END" ? shard.put : 0;
    }
    return shard.sequences.filter((s) => compareSequenceNumbers(s, checkpoint) <= 0).length;
  };

  let processes = "";
  const render = (final = false): string => {
    const rows = [...view].map(([shardId, shard]) => {
      const lease = leases.find((l) => l.leaseKey === shardId);
      const caughtUp = lease?.checkpoint === shard.lastPut && shard.lastPut !== "";
      return `${shardId}  ${String(shard.put).padStart(6)}  ${
        String(shard.processed).padStart(9)
      }  ${short(lease?.checkpoint).padEnd(14)}${caughtUp ? " ✓" : "  "}  ${
        lease?.leaseOwner ?? "-"
      }`;
    });
    const put = [...view.values()].reduce((a, s) => a + s.put, 0);
    const processed = [...view.values()].reduce((a, s) => a + s.processed, 0);
    const elapsed = ((Date.now() - started) / 1000).toFixed(0);
    return [
      `kclts demo: ${stream} → KCL daemon → ${processorName}   (${elapsed} s${
        final ? "" : ", Ctrl+C to stop"
      })`,
      "",
      "shard                    put  processed  checkpoint         owner",
      ...rows,
      `total               ${String(put).padStart(6)}  ${String(processed).padStart(9)}`,
      "",
      processes,
      "",
      ...notes.map((n) => `  ${n}`),
      "",
    ].join("\n");
  };

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
    processes = describeProcesses(launcher.pid);
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
  // Let the processor catch up with what was put (at most 15 s) before the shutdown: every record
  // logged as processed, or, for a processor that logs no per-record line, checkpointed.
  const logsRecords = () => processedKeys.size > 0;
  const caughtUp = async () => {
    if (logsRecords()) return [...putKeys].every((k) => processedKeys.has(k));
    leases = await scanLeases(emulators.dynamoEndpoint, application).catch(() => leases);
    return [...view].reduce((a, [id, shard]) => a + checkpointed(id, shard), 0) === putKeys.size;
  };
  for (let waited = 0; waited < 15_000 && !(await caughtUp()); waited += 250) {
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
  await Deno.remove(tmp, { recursive: true }).catch(() => {});
  for (const [signal, listener] of listeners) Deno.removeSignalListener(signal, listener);
  print(render(true));
  const confirmed = [...view].reduce((a, [id, shard]) => a + checkpointed(id, shard), 0);
  if (logsRecords()) {
    const lost = [...putKeys].filter((k) => !processedKeys.has(k)).length;
    print(
      `• put ${putKeys.size}, processed ${processedKeys.size}, not processed ${lost}, processed twice ${duplicates}; daemon exit code ${status.code}; checkpointed ${confirmed}\n`,
    );
  } else {
    print(
      `• put ${putKeys.size}, checkpointed ${confirmed} (${processorName} logs no per-record line with shardId and sequenceNumber, so only checkpoints are counted); daemon exit code ${status.code}\n`,
    );
  }
  return status.code === 0 ? 0 : 1;
}
