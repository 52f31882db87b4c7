/**
 * A fake KCL MultiLangDaemon for whole-process benchmarks.
 *
 * It spawns a record-processor child with piped STDIN/STDOUT/STDERR and drives it the way the real
 * KCL 2.x/3.x daemon does (see the protocol notes in the README and src/protocol/): `initialize`, then one
 * `processRecords` line per batch, answering every `checkpoint` request, then `shardEnded`, then
 * STDIN EOF. It is stricter than the real daemon: anything the daemon would merely log and skip
 * (non-protocol output, unknown fields) and anything that would make it exit is a
 * {@linkcode HarnessError} here, so a benchmark only reports figures for a processor that speaks
 * the protocol correctly.
 *
 * All `processRecords` lines are built by {@linkcode prepareScenario} before the clock starts.
 *
 * @module
 */

import { LineReader } from "../src/transport/line_reader.ts";

const encoder = new TextEncoder();

/** Shape of one benchmark workload. */
export interface Scenario {
  /** Short identifier, e.g. `"small"`. */
  name: string;
  /** Number of `processRecords` messages. */
  batches: number;
  /** Records in each `processRecords` message. */
  recordsPerBatch: number;
  /** Size in bytes of each record's decoded payload (a UTF-8 JSON object). */
  payloadBytes: number;
}

/** A scenario with every daemon line already serialised. */
export interface PreparedScenario {
  /** The workload this was built from. */
  scenario: Scenario;
  /** One `processRecords` line per batch, each ending in `\n`. */
  lines: Uint8Array[];
  /** The sequence number of the last record of each batch. */
  lastSequenceNumbers: string[];
  /** Every delivered sequence number, mapped to the index of the batch that carries it. */
  batchOf: Map<string, number>;
  /** Total number of records. */
  records: number;
  /** Total decoded payload bytes. */
  payloadBytes: number;
  /** Total bytes written to the child's STDIN for the batches. */
  wireBytes: number;
  /** The checksum a processor reports on STDERR if it decodes every record (see {@linkcode CHECKSUM_PATTERN}). */
  expectedChecksum: number;
}

/** Options for {@linkcode runScenario}. */
export interface RunOptions {
  /** Working directory of the child. Defaults to the current directory. */
  cwd?: string;
  /** Extra environment variables for the child (the rest is inherited). */
  env?: Record<string, string>;
  /** Inherited environment variables to remove for the child (needs `--allow-env`). */
  unsetEnv?: string[];
  /** Kill the child and fail after this many milliseconds. Defaults to 300000. */
  timeoutMs?: number;
  /**
   * Require the processor to checkpoint at (or, with `null`, up to) the last sequence number of
   * every batch before it sends the batch's status. Defaults to `true`.
   */
  requireBatchCheckpoint?: boolean;
}

/** Figures from one child process. */
export interface RunResult {
  /** Process id of the spawned command (the process whose memory was measured). */
  pid: number;
  /** Milliseconds from spawn to receipt of the `initialize` status. */
  startupMs: number;
  /** Records delivered. */
  records: number;
  /** Decoded payload bytes delivered. */
  payloadBytes: number;
  /** Bytes of `processRecords` lines written. */
  wireBytes: number;
  /** Seconds from the first `processRecords` write to the last `processRecords` status (0 if none). */
  seconds: number;
  /** `records / seconds` (0 if no batches). */
  recordsPerSecond: number;
  /** Decoded payload megabytes (10^6 bytes) per second (0 if no batches). */
  payloadMBps: number;
  /** `VmHWM` of the child in KiB, read after the last batch status and before `shardEnded`. */
  peakRssKiB: number;
  /** User + system CPU seconds used by the child, read at the same moment. */
  cpuSeconds: number;
  /** CPU seconds the harness (this process) used during the timed window, for sanity checks. */
  harnessCpuSeconds: number;
  /** Number of live descendant processes of the child at that moment (their memory is not counted). */
  descendants: number;
  /** Anonymous resident memory (`RssAnon`) in KiB at the same moment (current, not peak). */
  rssAnonKiB: number;
  /** File-backed resident memory (`RssFile`, mostly the runtime's own binary) in KiB, same moment. */
  rssFileKiB: number;
  /**
   * `true` if the child reported the expected checksum on STDERR, `false` if it reported none.
   * A wrong checksum is a {@linkcode HarnessError}.
   */
  checksumVerified: boolean;
  /** Checkpoint requests answered, including the one for `shardEnded`. */
  checkpoints: number;
  /** Exit code of the child. */
  exitCode: number;
}

/** A processor violated the protocol, crashed, hung or exited with a non-zero code. */
export class HarnessError extends Error {
  /** The last part of the child's STDERR, for diagnosis. */
  stderrTail: string;

  /**
   * @param message What went wrong.
   * @param stderrTail The last part of the child's STDERR.
   */
  constructor(message: string, stderrTail = "") {
    super(stderrTail === "" ? message : `${message}\n--- child stderr (tail) ---\n${stderrTail}`);
    this.name = "HarnessError";
    this.stderrTail = stderrTail;
  }
}

// ---------------------------------------------------------------------------------------------
// Workload generation
// ---------------------------------------------------------------------------------------------

/**
 * Optional self-check for processors: a processor may print `checksum <n>` to STDERR before it
 * exits, where `n` starts at 0 and, for every record, becomes `(n + id + text.length) | 0`
 * (`text` = the decoded UTF-8 payload, `id` = its `id` field). The harness compares the last such
 * number with the expected value and fails the run on a mismatch.
 */
export const CHECKSUM_PATTERN: RegExp = /checksum (-?\d+)/g;

const FIRST_SEQUENCE_NUMBER = 49590338271490256608559692538361571095921575989136588898n;
const SEQUENCE_STEP = 1_000_003n;
const EVENTS = ["click", "view", "purchase", "scroll"];
const PAD_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ-_.";

/** Deterministic filler text (JSON-safe characters only) that record pads are sliced from. */
function makeFiller(length: number): string {
  let state = 0x2545f491;
  const parts: string[] = [];
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    parts.push(PAD_ALPHABET[(state >>> 0) % PAD_ALPHABET.length]!);
  }
  return parts.join("");
}

/**
 * Builds one JSON payload of exactly `size` UTF-8 bytes, e.g.
 * `{"id":7,"user":"user-7","city":"Zürich","event":"purchase","ts":1700000000007,"pad":"…"}`.
 */
function makePayload(id: number, size: number, filler: string): string {
  const head = `{"id":${id},"user":"user-${id % 9973}","city":"Zürich","event":"${
    EVENTS[id % EVENTS.length]
  }","ts":${1_700_000_000_000 + id},"pad":"`;
  const tail = `"}`;
  // Everything but the "ü" is ASCII, so the byte length is the string length + 1.
  const padLength = size - (head.length + 1) - tail.length;
  if (padLength < 0) throw new RangeError(`Cannot build a payload of ${size} bytes: too small`);
  const offset = (id * 7919) % (filler.length - padLength);
  return head + filler.slice(offset, offset + padLength) + tail;
}

/**
 * Serialises every `processRecords` line of a scenario. Sequence numbers are 56-digit decimal
 * strings, strictly increasing across the whole scenario.
 *
 * @param scenario The workload.
 * @returns The prepared lines and bookkeeping for validation.
 */
export function prepareScenario(scenario: Scenario): PreparedScenario {
  const filler = makeFiller(Math.max(4096, scenario.payloadBytes * 2));
  const lines: Uint8Array[] = [];
  const lastSequenceNumbers: string[] = [];
  const batchOf = new Map<string, number>();
  let id = 0;
  let payloadBytes = 0;
  let wireBytes = 0;
  let expectedChecksum = 0;
  for (let b = 0; b < scenario.batches; b++) {
    const parts: string[] = [];
    let last = "";
    for (let r = 0; r < scenario.recordsPerBatch; r++, id++) {
      const payload = encoder.encode(makePayload(id, scenario.payloadBytes, filler));
      if (payload.length !== scenario.payloadBytes) {
        throw new RangeError(
          `Payload ${id} has ${payload.length} bytes, not ${scenario.payloadBytes}`,
        );
      }
      payloadBytes += payload.length;
      // Every payload has exactly one non-ASCII character ("ü": 2 bytes, 1 UTF-16 unit).
      expectedChecksum = (expectedChecksum + id + (payload.length - 1)) | 0;
      const sequenceNumber = (FIRST_SEQUENCE_NUMBER + BigInt(id) * SEQUENCE_STEP).toString();
      batchOf.set(sequenceNumber, b);
      last = sequenceNumber;
      parts.push(
        `{"data":"${payload.toBase64()}","partitionKey":"pk-${id}","sequenceNumber":"${sequenceNumber}",` +
          `"approximateArrivalTimestamp":${
            1_700_000_000_000 + id
          },"subSequenceNumber":0,"action":"record"}`,
      );
    }
    const line = encoder.encode(
      `{"action":"processRecords","records":[${parts.join(",")}],"millisBehindLatest":0}\n`,
    );
    wireBytes += line.length;
    lines.push(line);
    lastSequenceNumbers.push(last);
  }
  return {
    scenario,
    lines,
    lastSequenceNumbers,
    batchOf,
    records: scenario.batches * scenario.recordsPerBatch,
    payloadBytes,
    wireBytes,
    expectedChecksum,
  };
}

// ---------------------------------------------------------------------------------------------
// Child I/O
// ---------------------------------------------------------------------------------------------

/** Drains the child's STDERR continuously, keeping about the last `limit` bytes. */
class StderrTail {
  #chunks: Uint8Array[] = [];
  #length = 0;
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  /** Settles at STDERR EOF (or error, or cancel). */
  readonly done: Promise<void>;

  constructor(stream: ReadableStream<Uint8Array>, limit = 16384) {
    const reader = stream.getReader();
    this.#reader = reader;
    this.done = (async () => {
      while (true) {
        const { value, done } = await reader.read();
        if (done) return;
        this.#chunks.push(value);
        this.#length += value.length;
        while (this.#chunks.length > 1 && this.#length - this.#chunks[0]!.length >= limit) {
          this.#length -= this.#chunks.shift()!.length;
        }
      }
    })().catch(() => {});
  }

  /** Stops draining and releases the stream. */
  async cancel(): Promise<void> {
    await this.#reader.cancel().catch(() => {});
    await this.done;
  }

  /** The number in the last `checksum <n>` on STDERR, or `null`. */
  checksum(): number | null {
    let found: number | null = null;
    for (const match of this.text().matchAll(CHECKSUM_PATTERN)) found = Number(match[1]);
    return found;
  }

  text(): string {
    const all = new Uint8Array(this.#length);
    let at = 0;
    for (const chunk of this.#chunks) {
      all.set(chunk, at);
      at += chunk.length;
    }
    return new TextDecoder().decode(all.subarray(Math.max(0, all.length - 4096))).trimEnd();
  }
}

const EXPIRED: unique symbol = Symbol("expired");

/** `promise`'s value, or {@linkcode EXPIRED} if it takes longer than `ms`. */
async function raceTimeout<T>(promise: Promise<T>, ms: number): Promise<T | typeof EXPIRED> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<typeof EXPIRED>((resolve) => {
    timer = setTimeout(() => resolve(EXPIRED), ms);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}
const STATUS_KEYS = new Set(["action", "responseFor"]);
const CHECKPOINT_KEYS = new Set(["action", "sequenceNumber", "subSequenceNumber", "error"]);

/** What the daemon accepts as a checkpoint while waiting for one action's status. */
type CheckpointPolicy =
  | { kind: "none" }
  | { kind: "batch"; batch: number }
  | { kind: "shardEnd" };

/** One spawned child and the daemon-side state of its lease. */
class Session {
  readonly child: Deno.ChildProcess;
  readonly pid: number;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #lines: LineReader;
  readonly #stderr: StderrTail;
  readonly #prepared: PreparedScenario | null;
  readonly #requireCheckpoints: boolean;
  #timer: ReturnType<typeof setTimeout>;
  #timedOut = false;
  /** Settles when the time-out fires, so no wait can outlive it (descendants may hold pipes). */
  readonly #expired: Promise<typeof EXPIRED>;
  checkpoints = 0;
  /** Last successfully checkpointed sequence number (`null` = none yet). */
  #lastCheckpoint: bigint | null = null;
  /** Batch index the processor checkpointed up to during the current action (-1 = none). */
  #checkpointedBatch = -1;

  constructor(command: string[], prepared: PreparedScenario | null, options: RunOptions) {
    const [program, ...args] = command;
    if (program === undefined) throw new TypeError("Cannot run an empty command");
    this.#prepared = prepared;
    this.#requireCheckpoints = options.requireBatchCheckpoint ?? true;
    const commandOptions: Deno.CommandOptions = {
      args,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    };
    if (options.cwd !== undefined) commandOptions.cwd = options.cwd;
    if (options.unsetEnv !== undefined && options.unsetEnv.length > 0) {
      const env = Deno.env.toObject();
      for (const name of options.unsetEnv) delete env[name];
      commandOptions.clearEnv = true;
      commandOptions.env = { ...env, ...options.env };
    } else if (options.env !== undefined) {
      commandOptions.env = options.env;
    }
    this.child = new Deno.Command(program, commandOptions).spawn();
    this.pid = this.child.pid;
    this.#writer = this.child.stdin.getWriter();
    this.#lines = new LineReader(this.child.stdout);
    this.#stderr = new StderrTail(this.child.stderr);
    const { promise, resolve } = Promise.withResolvers<typeof EXPIRED>();
    this.#expired = promise;
    this.#timer = setTimeout(() => {
      this.#timedOut = true;
      this.#kill();
      resolve(EXPIRED);
    }, options.timeoutMs ?? 300_000);
  }

  /** Awaits `promise` unless the time-out fires first, in which case the run fails. */
  async #bounded<T>(promise: Promise<T>, what: string): Promise<T> {
    const result = await Promise.race([promise, this.#expired]);
    if (result === EXPIRED) this.fail(`Timed out while ${what}`);
    return result as T;
  }

  fail(message: string): never {
    throw new HarnessError(
      this.#timedOut && !message.startsWith("Timed out")
        ? `Timed out (child killed); ${message}`
        : message,
      this.#stderr.text(),
    );
  }

  /**
   * The next STDOUT line, failing as soon as the child has exited, even if a descendant keeps
   * STDOUT open. Lines the child wrote before exiting are still returned first when they are
   * already readable.
   */
  async #nextLineUnlessExited(what: string): Promise<string | null> {
    const next = this.#lines.next();
    const first = await Promise.race([next, this.child.status]);
    if (typeof first === "string" || first === null) return first;
    // Give already-buffered output a moment to arrive before declaring the exit.
    const late = await raceTimeout(next, 200);
    if (late !== EXPIRED) return late;
    this.fail(`Child exited with code ${first.code} while ${what}`);
  }

  /** Writes one complete line; the stream writer handles partial writes and backpressure. */
  async write(line: Uint8Array): Promise<void> {
    try {
      await this.#bounded(this.#writer.ready, "writing to the child");
      await this.#bounded(this.#writer.write(line), "writing to the child");
    } catch (error) {
      if (error instanceof HarnessError) throw error;
      this.fail(`Writing to the child's STDIN failed: ${String(error)}`);
    }
  }

  /** Writes `line` and, concurrently, reads the child's STDOUT until the status for `action`. */
  async exchange(line: Uint8Array, action: string, policy: CheckpointPolicy): Promise<void> {
    const written = this.write(line).then(() => null, (error: unknown) => error);
    // Until the terminal status, the child exiting is a failure: do not wait for the time-out.
    await this.awaitStatus(action, policy, action !== "shardEnded");
    // The write settled before the status in any sane exchange; on failure abort() releases it.
    const error = await written;
    if (error !== null) throw error;
  }

  async awaitStatus(
    action: string,
    policy: CheckpointPolicy,
    failOnExit: boolean,
  ): Promise<void> {
    this.#checkpointedBatch = -1;
    let shardEndCheckpointed = false;
    while (true) {
      const what = `waiting for the "${action}" status`;
      const line = await this.#bounded(
        failOnExit ? this.#nextLineUnlessExited(what) : this.#lines.next(),
        what,
      );
      if (line === null) {
        const status = await raceTimeout(this.child.status, 1000);
        const exit = status === EXPIRED ? "still running" : `exit code ${status.code}`;
        this.fail(
          `Child closed STDOUT while the daemon waited for the status of "${action}" (${exit})`,
        );
      }
      if (line.trim() === "") continue;
      let message: unknown;
      try {
        message = JSON.parse(line);
      } catch {
        this.fail(`Non-protocol line on the child's STDOUT: ${JSON.stringify(line.slice(0, 200))}`);
      }
      if (typeof message !== "object" || message === null || Array.isArray(message)) {
        this.fail(`Non-object JSON on the child's STDOUT: ${line.slice(0, 200)}`);
      }
      const fields = message as Record<string, unknown>;
      if (fields.action === "status") {
        this.#checkKeys(fields, STATUS_KEYS, line);
        if (fields.responseFor !== action) {
          this.fail(`Expected the status for "${action}", got ${line.slice(0, 200)}`);
        }
        if (policy.kind === "batch" && this.#checkpointedBatch !== policy.batch) {
          this.#requireBatchCheckpoint(policy.batch);
        }
        if (policy.kind === "shardEnd" && !shardEndCheckpointed) {
          this.fail(
            `Status for "shardEnded" without a checkpoint at SHARD_END (sequenceNumber null)`,
          );
        }
        return;
      }
      if (fields.action !== "checkpoint") {
        this.fail(
          `Unexpected message while waiting for the "${action}" status: ${line.slice(0, 200)}`,
        );
      }
      this.#checkKeys(fields, CHECKPOINT_KEYS, line);
      const sequenceNumber = fields.sequenceNumber ?? null;
      const subSequenceNumber = fields.subSequenceNumber ?? null;
      if (sequenceNumber !== null && typeof sequenceNumber !== "string") {
        this.fail(`Checkpoint sequenceNumber must be a string or null: ${line.slice(0, 200)}`);
      }
      if (
        subSequenceNumber !== null &&
        !(typeof subSequenceNumber === "number" && Number.isInteger(subSequenceNumber) &&
          subSequenceNumber >= 0)
      ) {
        this.fail(`Checkpoint subSequenceNumber must be a non-negative integer or null: ${line}`);
      }
      this.checkpoints++;
      this.#validateCheckpoint(sequenceNumber, policy, line);
      if (policy.kind === "shardEnd") shardEndCheckpointed = true;
      const response = `{"action":"checkpoint","sequenceNumber":${
        JSON.stringify(sequenceNumber)
      },"subSequenceNumber":${JSON.stringify(subSequenceNumber)},"error":null}\n`;
      await this.write(encoder.encode(response));
    }
  }

  #checkKeys(fields: Record<string, unknown>, allowed: Set<string>, line: string): void {
    for (const key of Object.keys(fields)) {
      if (!allowed.has(key)) {
        this.fail(
          `Unknown property "${key}" (the real daemon skips such lines): ${line.slice(0, 200)}`,
        );
      }
    }
  }

  #validateCheckpoint(sequenceNumber: string | null, policy: CheckpointPolicy, line: string): void {
    if (policy.kind === "none") {
      this.fail(`Checkpoint while no checkpointer is attached (initialize): ${line.slice(0, 200)}`);
    }
    if (policy.kind === "shardEnd") {
      if (sequenceNumber !== null) {
        this.fail(
          `Checkpoint at shardEnded must use sequenceNumber null (SHARD_END), got ${
            line.slice(0, 200)
          }`,
        );
      }
      return;
    }
    if (sequenceNumber === null) {
      // "Checkpoint at the largest sequence number delivered so far".
      this.#checkpointedBatch = policy.batch;
      const largest = this.#prepared?.lastSequenceNumbers[policy.batch];
      if (largest !== undefined) this.#lastCheckpoint = BigInt(largest);
      return;
    }
    const batch = this.#prepared?.batchOf.get(sequenceNumber);
    if (batch === undefined || batch > policy.batch) {
      this.fail(`Checkpoint at a sequence number that was not delivered: ${sequenceNumber}`);
    }
    const value = BigInt(sequenceNumber);
    if (this.#lastCheckpoint !== null && value < this.#lastCheckpoint) {
      this.fail(`Checkpoint went backwards: ${sequenceNumber} < ${this.#lastCheckpoint}`);
    }
    this.#lastCheckpoint = value;
    if (sequenceNumber === this.#prepared?.lastSequenceNumbers[batch]) {
      this.#checkpointedBatch = batch;
    }
  }

  #requireBatchCheckpoint(batch: number): void {
    if (this.#requireCheckpoints) {
      this.fail(
        `Batch ${batch} was not checkpointed at its last sequence number ` +
          `${this.#prepared?.lastSequenceNumbers[batch]} before its status`,
      );
    }
  }

  /** The checksum the child printed on STDERR, if any (valid after {@linkcode finish}). */
  reportedChecksum(): number | null {
    return this.#stderr.checksum();
  }

  /** Closes STDIN, requires STDOUT to hold nothing but blank lines, and waits for the exit. */
  async finish(): Promise<number> {
    try {
      await this.#bounded(this.#writer.close(), "closing the child's STDIN");
    } catch (error) {
      if (error instanceof HarnessError) throw error;
      this.fail(`Closing the child's STDIN failed: ${String(error)}`);
    }
    while (true) {
      const line = await this.#bounded(
        this.#lines.next(),
        "waiting for STDOUT EOF after STDIN was closed (does the child exit on EOF? does a " +
          "descendant hold STDOUT open?)",
      );
      if (line === null) break;
      if (line.trim() !== "") {
        this.fail(`Output after the final status: ${JSON.stringify(line.slice(0, 200))}`);
      }
    }
    const status = await this.#bounded(this.child.status, "waiting for the child to exit");
    await this.#bounded(this.#stderr.done, "waiting for STDERR EOF");
    clearTimeout(this.#timer);
    if (status.code !== 0) {
      this.fail(
        `Child exited with code ${status.code}${status.signal ? ` (${status.signal})` : ""}`,
      );
    }
    return status.code;
  }

  #kill(): void {
    try {
      this.child.kill("SIGKILL");
    } catch {
      // Already exited.
    }
  }

  /** Kills the child if it is still running (used on failure). */
  async abort(): Promise<void> {
    clearTimeout(this.#timer);
    this.#kill();
    await this.child.status.catch(() => {});
    // A descendant may still hold the pipes open: cancel instead of draining to EOF.
    await this.#writer.abort().catch(() => {});
    await this.#lines.cancel();
    await this.#stderr.cancel();
  }
}

// ---------------------------------------------------------------------------------------------
// /proc readings
// ---------------------------------------------------------------------------------------------

/** Clock ticks per second for /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

/** User + system CPU seconds of a process (`"self"` for this one). */
function cpuSecondsOf(pid: number | "self"): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  // Fields after the command name (which may contain spaces) start at field 3 ("state").
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(rest[11]) + Number(rest[12])) / USER_HZ; // utime (14) + stime (15)
}

interface ProcReading {
  peakRssKiB: number;
  rssAnonKiB: number;
  rssFileKiB: number;
  cpuSeconds: number;
  descendants: number;
}

function readProc(pid: number): ProcReading {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const field = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(\\d+)\\s+kB`, "m").exec(status);
    if (match === null) throw new HarnessError(`No ${name} in /proc/${pid}/status`);
    return Number(match[1]);
  };
  return {
    peakRssKiB: field("VmHWM"),
    rssAnonKiB: field("RssAnon"),
    rssFileKiB: field("RssFile"),
    cpuSeconds: cpuSecondsOf(pid),
    descendants: countDescendants(pid),
  };
}

function countDescendants(pid: number): number {
  let count = 0;
  let tasks: string[];
  try {
    tasks = [...Deno.readDirSync(`/proc/${pid}/task`)].map((entry) => entry.name);
  } catch {
    return 0;
  }
  for (const task of tasks) {
    let children: string;
    try {
      children = Deno.readTextFileSync(`/proc/${pid}/task/${task}/children`).trim();
    } catch {
      continue;
    }
    if (children === "") continue;
    for (const child of children.split(" ")) count += 1 + countDescendants(Number(child));
  }
  return count;
}

// ---------------------------------------------------------------------------------------------
// Driver
// ---------------------------------------------------------------------------------------------

const INITIALIZE_LINE = encoder.encode(
  `{"action":"initialize","shardId":"shardId-000000000000","sequenceNumber":"TRIM_HORIZON",` +
    `"subSequenceNumber":0}\n`,
);
const SHARD_ENDED_LINE = encoder.encode(`{"action":"shardEnded"}\n`);

/**
 * Spawns `command` and drives one full lease through it: `initialize`, every batch of the
 * scenario, `shardEnded`, STDIN EOF. A scenario with zero batches measures start-up only.
 *
 * @param command Program and arguments (no shell).
 * @param scenario The workload, ideally prepared once with {@linkcode prepareScenario}.
 * @param options Working directory, environment, time-out and strictness.
 * @returns The figures of this run.
 * @throws {HarnessError} If the child violates the protocol, crashes, hangs or exits non-zero.
 */
export async function runScenario(
  command: string[],
  scenario: Scenario | PreparedScenario,
  options: RunOptions = {},
): Promise<RunResult> {
  const prepared = "lines" in scenario ? scenario : prepareScenario(scenario);
  const started = performance.now();
  let session: Session;
  try {
    session = new Session(command, prepared, options);
  } catch (error) {
    throw new HarnessError(`Cannot spawn ${JSON.stringify(command)}: ${String(error)}`);
  }
  try {
    await session.exchange(INITIALIZE_LINE, "initialize", { kind: "none" });
    const startupMs = performance.now() - started;

    const { lines } = prepared;
    let seconds = 0;
    let harnessCpuSeconds = 0;
    if (lines.length > 0) {
      const cpu0 = cpuSecondsOf("self");
      const t0 = performance.now();
      for (let batch = 0; batch < lines.length; batch++) {
        await session.exchange(lines[batch]!, "processRecords", { kind: "batch", batch });
      }
      seconds = (performance.now() - t0) / 1000;
      harnessCpuSeconds = cpuSecondsOf("self") - cpu0;
    }
    const proc = readProc(session.pid);

    await session.exchange(SHARD_ENDED_LINE, "shardEnded", { kind: "shardEnd" });
    const exitCode = await session.finish();
    const reported = session.reportedChecksum();
    const expected = lines.length > 0 ? prepared.expectedChecksum : 0;
    if (reported !== null && reported !== expected) {
      throw new HarnessError(
        `Child reported checksum ${reported}, expected ${expected}: not every record was decoded`,
      );
    }
    return {
      pid: session.pid,
      startupMs,
      records: prepared.records,
      payloadBytes: prepared.payloadBytes,
      wireBytes: prepared.wireBytes,
      seconds,
      recordsPerSecond: seconds > 0 ? prepared.records / seconds : 0,
      payloadMBps: seconds > 0 ? prepared.payloadBytes / 1e6 / seconds : 0,
      peakRssKiB: proc.peakRssKiB,
      rssAnonKiB: proc.rssAnonKiB,
      rssFileKiB: proc.rssFileKiB,
      checksumVerified: reported !== null,
      cpuSeconds: proc.cpuSeconds,
      harnessCpuSeconds,
      descendants: proc.descendants,
      checkpoints: session.checkpoints,
      exitCode,
    };
  } catch (error) {
    await session.abort();
    if (error instanceof HarnessError) throw error;
    throw new HarnessError(`Harness failure: ${String(error)}`);
  }
}

/**
 * One lease driven step by step, for workloads with many leases at once (`bench/hub.ts`): the same
 * checks as {@linkcode runScenario}, with the steps exposed.
 */
export class LeaseDriver {
  readonly #session: Session;
  readonly #prepared: PreparedScenario;
  readonly #spawned = performance.now();

  /**
   * Spawns the command (a processor, or a relay to a hub).
   *
   * @param command Program and arguments.
   * @param prepared The batches to deliver.
   * @param options Working directory, environment, time-out.
   */
  constructor(command: string[], prepared: PreparedScenario, options: RunOptions = {}) {
    this.#session = new Session(command, prepared, options);
    this.#prepared = prepared;
  }

  /** The spawned process's id. */
  get pid(): number {
    return this.#session.pid;
  }

  /** Sends `initialize`; resolves to the milliseconds from spawn to its status. */
  async initialize(): Promise<number> {
    await this.#session.exchange(INITIALIZE_LINE, "initialize", { kind: "none" });
    return performance.now() - this.#spawned;
  }

  /** Sends batch `batch` of the scenario and waits for its status (checkpoint required). */
  async batch(batch: number): Promise<void> {
    await this.#session.exchange(this.#prepared.lines[batch]!, "processRecords", {
      kind: "batch",
      batch,
    });
  }

  /** Sends `shardEnded`, closes STDIN and waits for a clean exit. */
  async end(): Promise<number> {
    await this.#session.exchange(SHARD_ENDED_LINE, "shardEnded", { kind: "shardEnd" });
    return await this.#session.finish();
  }

  /** Kills the process (after a failure). */
  async abort(): Promise<void> {
    await this.#session.abort();
  }
}

/** PSS and RSS of one process, from `/proc/<pid>/smaps_rollup`, in KiB. */
export function smapsRollup(pid: number): { pssKiB: number; rssKiB: number } {
  const text = Deno.readTextFileSync(`/proc/${pid}/smaps_rollup`);
  const field = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(text);
    if (match === null) throw new HarnessError(`No ${name} in /proc/${pid}/smaps_rollup`);
    return Number(match[1]);
  };
  return { pssKiB: field("Pss"), rssKiB: field("Rss") };
}
