/**
 * End-to-end harness: local emulators, a stream with its lease table, and
 * the real KCL daemon started by the processor's own launcher (`deno run`
 * with the compiled binary's flags). The processors log every record as a
 * JSON line on stderr; the daemon passes those lines through, so the test
 * reads what was processed from the launcher's stderr.
 *
 * @module
 */

import { deepStrictEqual } from "node:assert/strict";
import {
  describeStreamConsumer,
  type Emulators,
  ensureEmulatorsInstalled,
  type LeaseItem,
  listStreamConsumers,
  putRecords,
  scanLeases,
  type ShardInfo,
  startEmulators,
  streamArn,
  type StreamConsumer,
} from "../../src/local/emulators.ts";
import { ensureSylviteJar } from "../../src/local/jar.ts";
import { PERMISSION_FLAGS } from "../../src/runtime/permissions.ts";
import { ROOT, TEMPLATE } from "../_util.ts";
import {
  forEachLine,
  localLaunch,
  prepareStream,
  RETRIEVAL_MODES,
  type RetrievalMode,
} from "../../src/local/local_launch.ts";

export { RETRIEVAL_MODES, type RetrievalMode };

export { ROOT, TEMPLATE } from "../_util.ts";

/** How the daemon runs the processor: one process per shard, or one hub for all (`launch --hub`). */
export type ProcessMode = "process" | "hub";

/** Both process modes, for tests that run in each. */
export const PROCESS_MODES: readonly ProcessMode[] = ["process", "hub"];

/** One way to run a daemon scenario: how the daemon reads the stream, how it runs the processor. */
export interface Variant {
  /** How the daemon reads the stream. */
  retrieval: RetrievalMode;
  /** A process per shard, or one hub. */
  mode: ProcessMode;
  /** For test names: `POLLING`, `FANOUT`, `POLLING hub`. */
  label: string;
}

/**
 * The variants a daemon scenario runs in: every retrieval mode with a process per shard, and
 * hub mode with the first retrieval mode (how records arrive and how the processor runs are
 * independent). `KCLTS_E2E_VARIANTS=all` runs every combination.
 *
 * @param retrievals The retrieval modes that apply.
 * @returns The variants.
 */
export function variants(retrievals: readonly RetrievalMode[] = RETRIEVAL_MODES): Variant[] {
  const all = Deno.env.get("KCLTS_E2E_VARIANTS") === "all";
  const list: Variant[] = [];
  for (const mode of PROCESS_MODES) {
    for (const [i, retrieval] of retrievals.entries()) {
      if (mode === "hub" && i > 0 && !all) continue;
      list.push({ retrieval, mode, label: mode === "hub" ? `${retrieval} hub` : retrieval });
    }
  }
  return list;
}

/** A record a processor logged (from its JSON log line). */
export interface Seen {
  shardId: string;
  sequenceNumber: string;
  partitionKey: string;
  value: unknown;
  pid: number;
}

/** One put record. */
export interface Put {
  shardId: string;
  sequenceNumber: string;
  partitionKey: string;
  value: { n: number; run: string };
}

let counter = 0;

/** Writes a line of figures to stderr (deno test shows it with the test's output). */
export function report(text: string): void {
  Deno.stderr.writeSync(new TextEncoder().encode(text + "\n"));
}

/** A unique name for a test's stream and application. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`;
}

/** The worlds not yet disposed: a wait reports on (and watches) their launchers. */
const worlds = new Set<World>();

/** Emulators plus helpers for one test. */
export class World implements AsyncDisposable {
  readonly emulators: Emulators;
  readonly jar: string;
  readonly launchers: Launcher[] = [];

  private constructor(emulators: Emulators, jar: string) {
    this.emulators = emulators;
    this.jar = jar;
  }

  /** Installs what is missing, then starts the emulators. */
  static async start(): Promise<World> {
    await ensureEmulatorsInstalled();
    const jar = await ensureSylviteJar();
    const logDir = Deno.env.get("KCLTS_E2E_LOG_DIR");
    const emulators = await startEmulators(logDir ? { logDir } : {});
    const world = new World(emulators, jar);
    worlds.add(world);
    return world;
  }

  /** Creates a stream and the application's lease table (with one lease per shard). */
  async stream(name: string, shards: number, application: string): Promise<ShardInfo[]> {
    return await prepareStream(this.emulators, name, shards, application);
  }

  /** Puts `count` JSON records `{ n, run }`, spread over the shards by partition key. */
  async put(stream: string, count: number, run: string, from = 0): Promise<Put[]> {
    const records = Array.from({ length: count }, (_, i) => ({
      data: JSON.stringify({ n: from + i, run }),
      partitionKey: `pk-${from + i}`,
    }));
    const puts: Put[] = [];
    for (let at = 0; at < records.length; at += 250) {
      const chunk = records.slice(at, at + 250);
      const results = await putRecords(this.emulators.kinesisEndpoint, stream, chunk);
      results.forEach((result, i) =>
        puts.push({
          shardId: result.shardId,
          sequenceNumber: result.sequenceNumber,
          partitionKey: chunk[i]!.partitionKey,
          value: JSON.parse(chunk[i]!.data),
        })
      );
    }
    return puts;
  }

  /** The lease table's items. */
  leases(application: string): Promise<LeaseItem[]> {
    return scanLeases(this.emulators.dynamoEndpoint, application);
  }

  /** Each lease's checkpoint, by lease key. */
  async checkpoints(application: string): Promise<Map<string, string | undefined>> {
    return new Map((await this.leases(application)).map((l) => [l.leaseKey, l.checkpoint]));
  }

  /**
   * Waits until every lease is checkpointed at the last record put into its
   * shard; fails with `message` after `timeoutMs`.
   *
   * @returns The leases.
   */
  async checkpointedAtLast(
    application: string,
    puts: readonly Put[],
    timeoutMs: number,
    message: string,
  ): Promise<LeaseItem[]> {
    const last = lastPerShard(puts);
    return await until(
      async () => {
        const leases = await this.leases(application);
        return leases.every((l) => l.checkpoint === last.get(l.leaseKey)) && leases;
      },
      timeoutMs,
      message,
    );
  }

  /**
   * The stream's one enhanced fan-out consumer, which the daemon registers under the
   * application's name (`FanOutConfig`: `consumerName` unless set, else `applicationName`).
   * Fails unless `ListStreamConsumers` lists exactly that one consumer, `ACTIVE`, and
   * `DescribeStreamConsumer` by name gives the same ARN.
   */
  async consumer(stream: string, application: string): Promise<StreamConsumer> {
    const arn = await streamArn(this.emulators.kinesisEndpoint, stream);
    const listed = await listStreamConsumers(this.emulators.kinesisEndpoint, arn);
    const names = listed.map((c) => `${c.consumerName} (${c.consumerStatus})`).join(", ");
    if (listed.length !== 1 || listed[0]!.consumerName !== application) {
      throw new Error(`expected one consumer "${application}" on ${stream}, found: ${names}`);
    }
    const described = await describeStreamConsumer(
      this.emulators.kinesisEndpoint,
      arn,
      application,
    );
    if (described.consumerArn !== listed[0]!.consumerArn || described.consumerStatus !== "ACTIVE") {
      throw new Error(
        `DescribeStreamConsumer gave ${JSON.stringify(described)}, ListStreamConsumers ${names}`,
      );
    }
    return described;
  }

  /** Starts a launcher; it is stopped (SIGKILL) when the world is disposed. */
  launch(options: LaunchOptions): Launcher {
    const launcher = new Launcher(this, options);
    this.launchers.push(launcher);
    return launcher;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    worlds.delete(this);
    for (const launcher of this.launchers) await launcher.kill();
    await this.emulators.stop();
  }
}

/**
 * Puts records `{ n, run }` into one stream, `n` counting on from 0, and keeps
 * every one put; `flow()` keeps putting until `stop()`.
 */
export class Feed {
  /** Every record put, in order. */
  readonly puts: Put[] = [];
  readonly #world: World;
  readonly #stream: string;
  readonly #run: string;
  #flowing: Promise<void> | null = null;
  #stopped = false;

  constructor(world: World, stream: string, run: string) {
    this.#world = world;
    this.#stream = stream;
    this.#run = run;
  }

  /** Puts `count` records. */
  async put(count: number): Promise<void> {
    this.puts.push(...await this.#world.put(this.#stream, count, this.#run, this.puts.length));
  }

  /** Puts `count` records every `everyMs` until {@linkcode Feed.stop}. */
  flow(count: number, everyMs: number): void {
    this.#flowing = (async () => {
      while (!this.#stopped) {
        await this.put(count);
        await new Promise((resolve) => setTimeout(resolve, everyMs));
      }
    })();
  }

  /** Stops the flow and waits for its last put. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#flowing;
  }
}

/** How to start a launcher. */
export interface LaunchOptions {
  stream: string;
  application: string;
  workerId: string;
  /** The processor file. @default {the template} */
  processor?: string;
  /** Extra environment (e.g. CHECKPOINT_FREQ_SECONDS). */
  env?: Record<string, string>;
  /** Extra launcher arguments (--key=value). */
  args?: string[];
  /** How the daemon reads the stream. @default {"POLLING"} */
  retrieval?: RetrievalMode;
  /** How the daemon runs the processor: a process per shard, or one hub (`launch --hub`). @default {"process"} */
  mode?: ProcessMode;
  /**
   * A container-equivalent run: the launcher gets exactly this environment
   * (nothing of the host's, none of the harness's defaults) and exactly these
   * arguments after the processor file (e.g. `["launch", "--config=..."]`);
   * `env` and `args` above are then ignored.
   */
  exact?: { env: Record<string, string>; args: string[] };
  /**
   * Start the launcher the way a shell script starts a background job: with
   * SIGINT ignored (`sh -c 'trap "" INT; exec ...'`), which the JVM inherits.
   */
  sigintIgnored?: boolean;
  /** Start the launcher in a process group of its own, as a terminal starts a foreground job. */
  detached?: boolean;
  /**
   * Run `deno <args>` in `cwd` instead (e.g. a project's `deno task launch
   * --config=properties/local.properties`), with the harness's environment but
   * without `KCLTS_JAR`: the launcher finds the jar itself.
   */
  task?: { args: string[]; cwd: string };
}

/** A running `processor launch`. */
export class Launcher {
  /** The worker id, for reports. */
  readonly name: string;
  readonly process: Deno.ChildProcess;
  readonly seen: Seen[] = [];
  /** Every line of the launcher's stderr and stdout (the daemon's and the children's logs). */
  readonly lines: string[] = [];
  readonly exited: Promise<number>;
  readonly #pump: Promise<void>;
  /** The lines that are not a processed record's log line, for {@linkcode Launcher.describe}. */
  readonly #other: string[] = [];
  /** How the launcher ended, once it did and its output is read. */
  #status: Deno.CommandStatus | null = null;
  /** Whether the test stopped it ({@linkcode Launcher.signal}, {@linkcode Launcher.kill}). */
  #stopped = false;

  constructor(world: World, options: LaunchOptions) {
    this.name = options.workerId;
    const processor = options.processor ?? TEMPLATE;
    const exact = options.exact;
    const launch = exact
      ? { args: ["run", ...PERMISSION_FLAGS, processor, ...exact.args], env: exact.env }
      : localLaunch({
        emulators: world.emulators,
        jar: world.jar,
        processor,
        stream: options.stream,
        application: options.application,
        workerId: options.workerId,
        ...(options.env ? { env: options.env } : {}),
        args: [...(options.mode === "hub" ? ["--hub"] : []), ...(options.args ?? [])],
        ...(options.retrieval ? { retrieval: options.retrieval } : {}),
      });
    if (options.task) {
      launch.args = options.task.args;
      delete launch.env.KCLTS_JAR;
    }
    const [command, args] = options.sigintIgnored
      ? ["sh", ["-c", 'trap "" INT; exec "$0" "$@"', Deno.execPath(), ...launch.args]]
      : [Deno.execPath(), launch.args];
    this.process = new Deno.Command(command, {
      args,
      cwd: options.task?.cwd ?? ROOT,
      clearEnv: exact !== undefined,
      env: launch.env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      detached: options.detached ?? false,
    }).spawn();
    const onLine = (line: string) => this.#line(line);
    this.#pump = Promise.all([
      forEachLine(this.process.stderr, onLine),
      forEachLine(this.process.stdout, onLine),
    ]).then(() => {});
    this.exited = this.process.status.then(async (status) => {
      await this.#pump;
      this.#status = status;
      return status.code;
    });
  }

  /** Whether the launcher has ended (and its output is read). */
  get done(): boolean {
    return this.#status !== null;
  }

  /** Whether it ended without the test stopping it through {@linkcode Launcher.signal} or {@linkcode Launcher.kill}. */
  get diedUnasked(): boolean {
    return this.#status !== null && !this.#stopped;
  }

  /**
   * Its state and the tail of its output without the processed records' lines: the daemon's
   * log, the launcher's and the children's messages.
   *
   * @param tail How many lines.
   */
  describe(tail = 40): string {
    const status = this.#status;
    const state = status === null
      ? "running"
      : `exited with code ${status.code}${status.signal ? ` (${status.signal})` : ""}${
        this.#stopped ? " after the test stopped it" : ""
      }`;
    const shown = this.#other.slice(-tail);
    return [
      `--- ${this.name} (launcher pid ${this.process.pid}): ${state}; ${this.lines.length} lines, ${this.seen.length} records seen; the last ${shown.length} other lines:`,
      ...shown,
    ].join("\n");
  }

  #line(line: string): void {
    this.lines.push(line);
    if (Deno.env.get("KCLTS_E2E_VERBOSE")) {
      Deno.stderr.writeSync(new TextEncoder().encode(`[${this.name}] ${line}\n`));
    }
    if (!this.#record(line)) this.#other.push(line);
  }

  /** Takes a processed record's log line into {@linkcode Launcher.seen}; false for any other line. */
  #record(line: string): boolean {
    if (!line.startsWith('{"@timestamp"')) return false;
    try {
      const record = JSON.parse(line);
      const p = record.properties ?? {};
      if (record.logger === "processor" && typeof p.sequenceNumber === "string" && "value" in p) {
        this.seen.push({
          shardId: p.shardId,
          sequenceNumber: p.sequenceNumber,
          partitionKey: p.partitionKey,
          value: p.value,
          pid: p.pid ?? 0,
        });
        return true;
      }
    } catch {
      // not one of ours
    }
    return false;
  }

  /** Log records of the children (JSON lines), parsed. */
  logs(): {
    logger: string;
    level: string;
    message: string;
    properties: Record<string, unknown>;
  }[] {
    return this.lines.filter((l) => l.startsWith('{"@timestamp"')).flatMap((l) => {
      try {
        return [JSON.parse(l)];
      } catch {
        return [];
      }
    });
  }

  /** The Java daemon's process id (the launcher's child). */
  async javaPid(): Promise<number> {
    return await until(() => this.#findJava(), 30_000, `${this.name} started java`);
  }

  /** The hub's process id (the launcher's child in hub mode). */
  async hubPid(): Promise<number> {
    return await until(
      () => this.#findChild("\0hub\0--socket\0"),
      30_000,
      `${this.name} started the hub`,
    );
  }

  #findJava(): Promise<number | undefined> {
    return this.#findChild("sylvite.jar");
  }

  async #findChild(marker: string): Promise<number | undefined> {
    try {
      for await (const task of Deno.readDir(`/proc/${this.process.pid}/task`)) {
        const children = (await Deno.readTextFile(
          `/proc/${this.process.pid}/task/${task.name}/children`,
        ).catch(() => "")).trim();
        for (const pid of children.split(/\s+/).filter(Boolean).map(Number)) {
          const cmdline = await Deno.readTextFile(`/proc/${pid}/cmdline`).catch(() => "");
          if (cmdline.includes(marker)) return pid;
        }
      }
    } catch {
      // the launcher is gone
    }
    return undefined;
  }

  /** Sends a signal to the launcher (its exit is then no failure of a wait). */
  signal(signal: Deno.Signal): void {
    this.#stopped = true;
    try {
      this.process.kill(signal);
    } catch {
      // gone
    }
  }

  /** Kills the launcher's whole tree (java and its children, the hub) and waits. */
  async kill(): Promise<void> {
    this.#stopped = true;
    const children = [await this.#findJava(), await this.#findChild("\0hub\0--socket\0")];
    for (const pid of children) {
      if (!pid) continue;
      try {
        Deno.kill(pid, "SIGKILL");
      } catch {
        // gone
      }
    }
    this.signal("SIGKILL");
    await this.exited.catch(() => {});
  }
}

/**
 * The mode a launcher actually ran in, from its logs: the hub logs under
 * `kclts.hub`, per-process children never do.
 */
export function modeOf(launcher: Launcher): ProcessMode {
  return launcher.logs().some((r) => r.logger === "kclts.hub") ? "hub" : "process";
}

/**
 * Waits until `check` holds, polling every 250 ms; fails with `message` after `timeoutMs`, or at
 * once when a launcher that ran at the start of the wait exits without the test stopping it (and
 * `check` still fails). The error reports every launcher of the running worlds: its exit status
 * and the tail of its output (see {@linkcode failureReport}).
 */
export async function until<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs: number,
  message: string,
): Promise<T> {
  const started = Date.now();
  const deadline = started + timeoutMs;
  const watched = [...worlds].flatMap((w) => w.launchers).filter((l) => !l.done);
  const anyExit = Promise.race(watched.map((l) => l.exited.catch(() => 0)));
  let lastError: unknown;
  const attempt = async (): Promise<T | undefined> => {
    try {
      return (await check()) || undefined;
    } catch (error) {
      lastError = error;
      return undefined;
    }
  };
  while (true) {
    const result = await attempt();
    if (result !== undefined) return result;
    const gone = watched.find((l) => l.diedUnasked);
    if (gone) {
      // Its last lines are read now: one more look before failing.
      const last = await attempt();
      if (last !== undefined) return last;
      throw new Error(
        `${gone.name} exited while waiting (${
          Date.now() - started
        } ms of ${timeoutMs}): ${message}\n${failureReport()}`,
        lastError === undefined ? undefined : { cause: lastError },
      );
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `Timed out after ${timeoutMs} ms: ${message}\n${failureReport()}`,
        lastError === undefined ? undefined : { cause: lastError },
      );
    }
    await pause(250, anyExit);
  }
}

/** Sleeps `ms`, or less if `wake` settles first; leaves no timer behind. */
async function pause(ms: number, wake: Promise<unknown>): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([new Promise((resolve) => timer = setTimeout(resolve, ms)), wake]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * What a failed wait reports: each launcher of the running worlds, its exit status and the tail
 * of its output (daemon, launcher and processor logs, without the processed records' lines).
 * With `KCLTS_E2E_LOG_DIR` set, each launcher's whole output is written there too
 * (`<worker>-<pid>.log`).
 */
export function failureReport(): string {
  const launchers = [...worlds].flatMap((w) => w.launchers);
  if (launchers.length === 0) return "(no launcher running)";
  const dir = Deno.env.get("KCLTS_E2E_LOG_DIR");
  let saved = "\n(set KCLTS_E2E_LOG_DIR to keep each launcher's whole output)";
  if (dir) {
    try {
      Deno.mkdirSync(dir, { recursive: true });
      for (const l of launchers) {
        Deno.writeTextFileSync(`${dir}/${l.name}-${l.process.pid}.log`, l.lines.join("\n") + "\n");
      }
      saved = `\n(each launcher's whole output: ${dir}/<worker>-<pid>.log)`;
    } catch (error) {
      saved = `\n(the launchers' output could not be saved in ${dir}: ${error})`;
    }
  }
  return launchers.map((l) => l.describe()).join("\n") + saved;
}

/** The last sequence number put into each shard, by shard id. */
export function lastPerShard(puts: readonly Put[]): Map<string, string> {
  return new Map(puts.map((p) => [p.shardId, p.sequenceNumber]));
}

/**
 * Fails unless every put record was seen exactly once, with its content, and
 * nothing else was seen.
 *
 * @returns The tally.
 */
export function assertEachSeenOnce(puts: readonly Put[], seen: readonly Seen[]): Tally {
  const result = tally(puts, seen);
  deepStrictEqual(
    {
      missing: result.missing.length,
      duplicates: result.duplicates,
      wrongContent: result.wrongContent,
      unexpected: result.unexpected,
    },
    { missing: 0, duplicates: 0, wrongContent: 0, unexpected: 0 },
  );
  return result;
}

/** How often the put records were seen. */
export interface Tally {
  /** The put records never seen. */
  missing: Put[];
  /** How many sightings were repeats. */
  duplicates: number;
  /** Sightings whose value or partition key differ from the put record's. */
  wrongContent: number;
  /** Sightings of records that were not put. */
  unexpected: number;
}

/** Counts how often each put record was seen; the keys are `shard/sequence`. */
export function tally(puts: readonly Put[], seen: readonly Seen[]): Tally {
  const counts = new Map<string, number>();
  const expected = new Map(puts.map((p) => [`${p.shardId}/${p.sequenceNumber}`, p]));
  let wrongContent = 0;
  let unexpected = 0;
  for (const record of seen) {
    const key = `${record.shardId}/${record.sequenceNumber}`;
    const put = expected.get(key);
    if (!put) {
      unexpected++;
      continue;
    }
    counts.set(key, (counts.get(key) ?? 0) + 1);
    if (
      JSON.stringify(record.value) !== JSON.stringify(put.value) ||
      record.partitionKey !== put.partitionKey
    ) {
      wrongContent++;
    }
  }
  const missing = puts.filter((p) => !counts.has(`${p.shardId}/${p.sequenceNumber}`));
  const duplicates = [...counts.values()].reduce((a, c) => a + (c - 1), 0);
  return { missing, duplicates, wrongContent, unexpected };
}
