/**
 * An in-memory stand-in for the KCL MultiLangDaemon, to unit-test processors
 * without Java: it drives a processor through the real codec and session,
 * answers checkpoints like the daemon (including the errors you script), and
 * keeps every line exchanged.
 *
 * @module
 */

import { ProtocolError } from "../errors.ts";
import { parseChildMessage, serializeDaemonMessage } from "../protocol/codec.ts";
import type { DaemonMessage, StatusAction, WireRecord } from "../protocol/types.ts";
import type { BatchProcessor } from "../api/processor.ts";
import { comparePositions, type SequencePosition } from "../protocol/sequence.ts";
import { run, type RunOptions } from "../session/session.ts";
import { type Connection, connectSource, connectStreams } from "../transport/connection.ts";
import { streamSource } from "../transport/line_reader.ts";
import { guardStdout } from "../runtime/stdout_guard.ts";
import { writeAllSync } from "../transport/write_all.ts";

/** A record to deliver. Every field is optional. */
export interface FakeRecord {
  /**
   * The payload: a string (UTF-8), bytes, `null`, or any other value, which is
   * sent as JSON. @default {""}
   */
  data?: string | Uint8Array | null | Record<string, unknown> | unknown[] | number | boolean;
  /** The partition key. @default {"partition-key"} */
  partitionKey?: string;
  /** A decimal string; by default each record gets the next number after the last one delivered. */
  sequenceNumber?: string;
  /** The KPL sub-sequence number. @default {0} */
  subSequenceNumber?: number;
  /** Epoch milliseconds, or `null`. @default {Date.now()} */
  approximateArrivalTimestamp?: number | null;
}

/** A checkpoint request the child made, with the daemon's answer. */
export interface CheckpointCall {
  /** The action being handled when it was made. */
  readonly during: StatusAction;
  /** The requested sequence number (`null`: everything delivered). */
  readonly sequenceNumber: string | null;
  /** The requested sub-sequence number. */
  readonly subSequenceNumber: number | null;
  /** The daemon's answer: `null` on success, else the exception name. */
  readonly error: string | null;
}

/** Decides the daemon's answer to a checkpoint request: an exception name, or `null` to accept it. */
export type CheckpointResponder = (
  call: Omit<CheckpointCall, "error">,
) => string | null | undefined;

/** One line exchanged: `"in"` = daemon to child, `"out"` = child to daemon. */
export interface TranscriptLine {
  /** `"in"`: from the daemon to the child; `"out"`: from the child. */
  readonly dir: "in" | "out";
  /** The line, without its terminator. */
  readonly line: string;
}

/** Options of {@linkcode FakeDaemon}: the session's options, plus the daemon's behaviour. */
export interface FakeDaemonOptions extends Omit<RunOptions, "connection"> {
  /**
   * Scripted checkpoint answers, used in order (`null` = accept); after the
   * list, or when the function returns `undefined`, the daemon's own rules
   * decide (see {@linkcode FakeDaemon}).
   */
  checkpointErrors?: (string | null)[] | CheckpointResponder;
  /** Behave like a KCL 1.7.0 daemon (legacy checkpoint field, `shutdown` messages). @default {false} */
  legacy?: boolean;
  /**
   * Run the session as `start()` runs it in the child process: the process's
   * stdout (`Deno.stdout`, Node's `process.stdout`) is the pipe to this
   * daemon, and kclts's child-mode guard diverts what other code writes there;
   * the diverted bytes are kept in {@linkcode FakeDaemon.stray} (the child
   * sends them to stderr). Only one such daemon can run at a time: it takes
   * over `Deno.stdout` until the session ends. @default {false}
   */
  processStdout?: boolean;
}

/** The result of one action: the child's checkpoints during it. */
export interface ActionResult {
  /** The checkpoint requests made while the action was handled, with their answers. */
  readonly checkpoints: readonly CheckpointCall[];
}

/** Marks the options of a daemon connected to a hub (see {@linkcode FakeDaemon.connect}). */
const SOCKET = Symbol("socket");
const FIRST_SEQUENCE = 49590338271490256608559692538361571095921575989136588898n;
/** Set while a `processStdout` daemon owns `Deno.stdout`. */
let stdoutTaken = false;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * An in-memory daemon. It follows the real daemon's rules:
 *
 * - one message at a time; each must be answered by a `status` naming it;
 * - a checkpoint gets `InvalidStateException` during `initialize` and
 *   `leaseLost`; `IllegalArgumentException` for a sequence number beyond the
 *   records delivered or before the last checkpoint; a `null` sequence number
 *   stores the last record delivered, or `SHARD_END` during `shardEnded`;
 * - lines end at `\n`, `\r` or `\r\n` (Java's `BufferedReader.readLine`);
 *   empty lines are skipped, as the daemon does (`GetNextMessageTask`), and
 *   any other line the real daemon would skip (not JSON, an unknown field,
 *   bytes glued onto a message, blanks) is an error here, so tests catch it.
 *
 * @example Test a processor's checkpoints
 * ```ts
 * import type { BatchProcessor } from "@kclts/kclts";
 * import { FakeDaemon } from "@kclts/kclts/testing";
 * import { deepStrictEqual, strictEqual } from "node:assert/strict";
 *
 * const processor: BatchProcessor = {
 *   async processRecords({ records, checkpointer }) {
 *     await checkpointer.checkpoint(records.at(-1));
 *   },
 * };
 * await using daemon = new FakeDaemon(processor, {
 *   checkpointErrors: ["ThrottlingException"], // the first attempt is throttled
 *   checkpointRetry: { initialDelayMs: 0 },
 * });
 * await daemon.initialize({ shardId: "shardId-000000000007" });
 * const { checkpoints } = await daemon.processRecords([{ data: "x", sequenceNumber: "10" }]);
 * deepStrictEqual(checkpoints.map((c) => c.error), ["ThrottlingException", null]);
 * await daemon.shardEnded();
 * strictEqual(daemon.stored, "SHARD_END");
 * ```
 */
export class FakeDaemon implements AsyncDisposable {
  /** Every line exchanged, in order. */
  readonly transcript: TranscriptLine[] = [];
  /** Every checkpoint request, with its answer. */
  readonly checkpoints: CheckpointCall[] = [];
  /** Every record delivered so far. */
  readonly delivered: WireRecord[] = [];
  /** Resolves when the session ends: `{ error }` holds why it failed, if it did. */
  readonly exited: Promise<{ error?: unknown }>;
  /**
   * With `processStdout`: what other code wrote to stdout during the session,
   * diverted by kclts (the child sends it to stderr), as text.
   */
  stray = "";

  readonly #legacy: boolean;
  readonly #responder: CheckpointResponder;
  readonly #write: (bytes: Uint8Array) => void;
  readonly #endInput: () => void;
  readonly #lines: string[] = [];
  #lineWaiter: (() => void) | null = null;
  #partial = "";
  #nextSequence = FIRST_SEQUENCE;
  #largest: SequencePosition | null = null;
  #stored: SequencePosition | string | null = null;
  #busy = false;
  #closed = false;
  #exitedValue: { error?: unknown } | null = null;

  /**
   * Starts the processor's session; nothing is sent until you call an action.
   *
   * @param processor The processor under test.
   * @param options Session options and daemon behaviour.
   */
  constructor(processor: BatchProcessor, options: FakeDaemonOptions = {}) {
    const { checkpointErrors, legacy, processStdout, ...runOptions } = options;
    this.#legacy = legacy ?? false;
    const script = Array.isArray(checkpointErrors) ? [...checkpointErrors] : null;
    const custom = typeof checkpointErrors === "function" ? checkpointErrors : null;
    this.#responder = (call) => {
      if (script && script.length > 0) return script.shift();
      return custom?.(call);
    };
    const socket = (options as { [SOCKET]?: Deno.UnixConn })[SOCKET];
    let child: Promise<void>;
    if (socket) {
      // The child is a hub at the other end of a Unix socket: writes in order, reads until it closes.
      let writing = Promise.resolve();
      this.#write = (bytes) => {
        writing = writing.then(async () => {
          let rest = bytes;
          while (rest.length > 0) rest = rest.subarray(await socket.write(rest));
        }).catch(() => {});
      };
      this.#endInput = () =>
        void (writing = writing.then(() => socket.closeWrite()).catch(() => {}));
      child = (async () => {
        try {
          for await (const chunk of socket.readable) {
            this.#received(decoder.decode(chunk, { stream: true }));
          }
        } catch {
          // a closed socket is the end
        }
        await writing;
        try {
          socket.close();
        } catch {
          // already closed
        }
      })();
    } else {
      let controller!: ReadableStreamDefaultController<Uint8Array>;
      const input = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
      this.#write = (bytes) => controller.enqueue(bytes);
      this.#endInput = () => {
        try {
          controller.close();
        } catch {
          // already closed by the session
        }
      };
      let connection: Connection;
      let restore = () => {};
      if (processStdout) {
        if (stdoutTaken) {
          throw new Error("FakeDaemon: another processStdout daemon is running; close it first");
        }
        stdoutTaken = true;
        const pipe = this.#takeStdout();
        const strayDecoder = new TextDecoder();
        const guard = guardStdout({
          stray: {
            writeSync: (bytes) => {
              this.stray += strayDecoder.decode(bytes, { stream: true });
              return bytes.length;
            },
          },
        });
        restore = () => {
          guard.restore();
          pipe.restore();
          stdoutTaken = false;
        };
        connection = connectSource(
          streamSource(input),
          (bytes) => writeAllSync(guard.protocol, bytes),
        );
      } else {
        const output = new WritableStream<Uint8Array>({
          write: (chunk) => this.#received(decoder.decode(chunk, { stream: true })),
        });
        connection = connectStreams(input, output);
      }
      child = run(processor, {
        statsIntervalSeconds: 0,
        sleep: () => Promise.resolve(),
        ...runOptions,
        connection,
      }).finally(restore);
    }
    this.exited = child.then(
      () => ({}),
      (error: unknown) => ({ error }),
    ).then((value) => {
      this.#exitedValue = value;
      this.#wake();
      return value;
    });
  }

  /**
   * A fake daemon whose child is a hub (`processor hub --socket PATH`): it
   * connects to the hub's socket as a relay would, and drives that shard
   * session over it. `exited` resolves when the hub closes the connection
   * (a failed session's error is in the hub's log, not here).
   *
   * @param path The hub's socket.
   * @param options The daemon's behaviour (session options belong to the hub).
   * @returns The connected daemon.
   *
   * @example See {@linkcode Hub}.
   */
  static async connect(
    path: string,
    options: Pick<FakeDaemonOptions, "checkpointErrors" | "legacy"> = {},
  ): Promise<FakeDaemon> {
    const socket = await Deno.connect({ transport: "unix", path });
    const noProcessor = { processRecords() {} };
    return new FakeDaemon(noProcessor, { ...options, [SOCKET]: socket } as FakeDaemonOptions);
  }

  /** The checkpoint stored in the (fake) lease table: a position, a sentinel such as `SHARD_END`, or `null`. */
  get stored(): SequencePosition | string | null {
    return this.#stored;
  }

  /** Every line the child wrote. */
  get output(): string[] {
    return this.transcript.filter((line) => line.dir === "out").map((line) => line.line);
  }

  /**
   * Sends `initialize`.
   *
   * @param options The shard and its starting checkpoint.
   * @returns The checkpoints made (always refused here).
   */
  initialize(
    options: {
      shardId?: string;
      sequenceNumber?: string | null;
      subSequenceNumber?: number | null;
    } = {},
  ): Promise<ActionResult> {
    const sequenceNumber = options.sequenceNumber === undefined
      ? "TRIM_HORIZON"
      : options.sequenceNumber;
    if (sequenceNumber && /^[0-9]+$/.test(sequenceNumber)) {
      this.#stored = { sequenceNumber, subSequenceNumber: options.subSequenceNumber ?? 0 };
      this.#nextSequence = BigInt(sequenceNumber) + 1n;
    } else {
      this.#stored = sequenceNumber;
    }
    return this.#act({
      action: "initialize",
      shardId: options.shardId ?? "shardId-000000000000",
      sequenceNumber,
      subSequenceNumber: options.subSequenceNumber ?? (sequenceNumber === null ? null : 0),
      legacy: this.#legacy,
    });
  }

  /**
   * Sends one `processRecords` batch.
   *
   * @param records The records; missing fields are filled in.
   * @param options `millisBehindLatest` of the batch.
   * @returns The checkpoints made while the batch was processed.
   */
  processRecords(
    records: FakeRecord[],
    options: { millisBehindLatest?: number | null } = {},
  ): Promise<ActionResult> {
    const wire = records.map((record) => this.#toWire(record));
    for (const record of wire) {
      this.delivered.push(record);
      const position = {
        sequenceNumber: record.sequenceNumber,
        subSequenceNumber: record.subSequenceNumber,
      };
      if (!this.#largest || comparePositions(position, this.#largest) > 0) this.#largest = position;
    }
    return this.#act({
      action: "processRecords",
      records: wire,
      millisBehindLatest: options.millisBehindLatest === undefined ? 0 : options.millisBehindLatest,
    });
  }

  /** Sends `shutdownRequested`. @returns The checkpoints made. */
  shutdownRequested(): Promise<ActionResult> {
    return this.#act({ action: "shutdownRequested" });
  }

  /** Sends `shardEnded`. @returns The checkpoints made (kclts always makes a `SHARD_END` one). */
  shardEnded(): Promise<ActionResult> {
    return this.#act({ action: "shardEnded" });
  }

  /** Sends `leaseLost`. @returns The checkpoints made (always refused here). */
  leaseLost(): Promise<ActionResult> {
    return this.#act({ action: "leaseLost" });
  }

  /**
   * Sends the KCL 1.x `shutdown` message.
   *
   * @param reason `TERMINATE` (shard end) or `ZOMBIE` (lease lost).
   * @returns The checkpoints made.
   */
  shutdown(reason: "TERMINATE" | "ZOMBIE"): Promise<ActionResult> {
    return this.#act({ action: "shutdown", reason });
  }

  /**
   * Sends a raw line, e.g. a malformed one, without waiting for an answer.
   *
   * @param line The line, without its terminator.
   */
  send(line: string): void {
    this.transcript.push({ dir: "in", line });
    this.#write(encoder.encode(line + "\n"));
  }

  /**
   * Writes to the child's stdout past kclts, as code kclts cannot divert
   * does (`node:fs` on file descriptor 1, a subprocess that inherits stdout):
   * to check that such output cannot corrupt a message. Empty lines are fine;
   * any other line makes the pending action fail, as a line the real daemon
   * would skip.
   *
   * @param data Text or bytes.
   */
  writeStdout(data: string | Uint8Array): void {
    this.#received(typeof data === "string" ? data : decoder.decode(data, { stream: true }));
  }

  /**
   * Closes the child's stdin, as the daemon does after the last message, and
   * waits for the session to end.
   *
   * @returns `{ error }` if the session failed.
   */
  async close(): Promise<{ error?: unknown }> {
    if (!this.#closed) {
      this.#closed = true;
      this.#endInput();
    }
    return await this.exited;
  }

  /** Same as {@linkcode close}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #toWire(record: FakeRecord): WireRecord {
    let sequenceNumber = record.sequenceNumber;
    if (sequenceNumber === undefined) {
      sequenceNumber = String(this.#nextSequence);
      this.#nextSequence++;
    } else {
      this.#nextSequence = BigInt(sequenceNumber) + 1n;
    }
    const data = record.data;
    let base64: string | null;
    if (data === null) base64 = null;
    else if (data === undefined) base64 = "";
    else if (typeof data === "string") base64 = toBase64(encoder.encode(data));
    else if (data instanceof Uint8Array) base64 = toBase64(data);
    else base64 = toBase64(encoder.encode(JSON.stringify(data)));
    return {
      data: base64,
      partitionKey: record.partitionKey ?? "partition-key",
      sequenceNumber,
      subSequenceNumber: record.subSequenceNumber ?? 0,
      approximateArrivalTimestamp: record.approximateArrivalTimestamp === undefined
        ? Date.now()
        : record.approximateArrivalTimestamp,
    };
  }

  /** Makes `Deno.stdout` write into this daemon's pipe, as fd 1 of a child process does. */
  #takeStdout(): { restore(): void } {
    const stdout = Deno.stdout as unknown as Record<string, unknown>;
    const names = ["write", "writeSync", "writable"];
    const own = names.map((name) => Object.getOwnPropertyDescriptor(stdout, name));
    const pipeDecoder = new TextDecoder();
    const writeSync = (bytes: Uint8Array) => {
      this.#received(pipeDecoder.decode(bytes, { stream: true }));
      return bytes.length;
    };
    Object.defineProperty(stdout, "writeSync", { value: writeSync, configurable: true });
    Object.defineProperty(stdout, "write", {
      value: (bytes: Uint8Array) => Promise.resolve(writeSync(bytes)),
      configurable: true,
    });
    const writable = new WritableStream<Uint8Array>({ write: (chunk) => void writeSync(chunk) });
    Object.defineProperty(stdout, "writable", { get: () => writable, configurable: true });
    return {
      restore: () =>
        names.forEach((name, i) => {
          const descriptor = own[i];
          if (descriptor) Object.defineProperty(stdout, name, descriptor);
          else delete stdout[name];
        }),
    };
  }

  /** Splits the child's output in lines as the daemon's `BufferedReader.readLine` does. */
  #received(text: string): void {
    let rest = this.#partial + text;
    // A trailing \r may be the first half of \r\n: wait for the next chunk.
    const held = rest.endsWith("\r") ? "\r" : "";
    if (held) rest = rest.slice(0, -1);
    const parts = rest.split(/\r\n|\r|\n/);
    this.#partial = (parts.pop() ?? "") + held;
    for (const line of parts) {
      // GetNextMessageTask skips exactly the empty line; anything else is parsed.
      if (line === "") continue;
      this.transcript.push({ dir: "out", line });
      this.#lines.push(line);
    }
    this.#wake();
  }

  #wake(): void {
    const waiter = this.#lineWaiter;
    this.#lineWaiter = null;
    waiter?.();
  }

  async #nextLine(action: StatusAction): Promise<string> {
    while (this.#lines.length === 0) {
      if (this.#exitedValue) {
        const { error } = this.#exitedValue;
        throw new Error(
          `The child's session ended while the daemon waited for its answer to ${action}` +
            (error ? `: ${error instanceof Error ? error.message : String(error)}` : ""),
          { cause: error },
        );
      }
      await new Promise<void>((resolve) => this.#lineWaiter = resolve);
    }
    return this.#lines.shift() as string;
  }

  async #act(message: DaemonMessage): Promise<ActionResult> {
    if (this.#busy) throw new Error("FakeDaemon: one action at a time (await the previous one)");
    if (this.#closed) throw new Error("FakeDaemon: the child's stdin is closed");
    this.#busy = true;
    const action = message.action as StatusAction;
    if (this.#lines.length > 0) {
      this.#busy = false;
      throw new ProtocolError(
        `The child wrote a line while no message was pending: ${this.#lines[0]}`,
        this.#lines[0],
      );
    }
    const calls: CheckpointCall[] = [];
    try {
      this.send(serializeDaemonMessage(message));
      while (true) {
        const line = await this.#nextLine(action);
        let reply;
        try {
          reply = parseChildMessage(line, { dialect: this.#legacy ? "legacy" : "v2" });
        } catch (error) {
          const glued = line.indexOf('{"action":');
          throw new ProtocolError(
            glued > 0
              ? `The real daemon would skip this line: a message glued to ${glued} bytes of other stdout output is lost, and both sides wait for ever`
              : `The real daemon would skip this line (stdout must carry only protocol messages): ${
                (error as Error).message
              }`,
            line,
          );
        }
        if (reply.action === "status") {
          if (reply.responseFor !== action) {
            throw new ProtocolError(
              `The child answered ${reply.responseFor} to ${action}: the daemon would exit`,
              line,
            );
          }
          return { checkpoints: calls };
        }
        const request = {
          during: action,
          sequenceNumber: reply.sequenceNumber,
          subSequenceNumber: reply.subSequenceNumber,
        };
        const error = this.#answer(request);
        const call = { ...request, error };
        calls.push(call);
        this.checkpoints.push(call);
        const answer = this.#legacy
          ? JSON.stringify({ action: "checkpoint", checkpoint: request.sequenceNumber, error })
          : serializeDaemonMessage({
            action: "checkpoint",
            sequenceNumber: request.sequenceNumber,
            subSequenceNumber: request.subSequenceNumber,
            error,
          });
        this.send(answer);
      }
    } finally {
      this.#busy = false;
    }
  }

  /** The daemon's rules for a checkpoint request; stores it on success. */
  #answer(request: Omit<CheckpointCall, "error">): string | null {
    const scripted = this.#responder(request);
    if (scripted !== undefined) return scripted;
    if (request.during === "initialize" || request.during === "leaseLost") {
      return "InvalidStateException";
    }
    if (request.during === "shutdown" && !this.#largest) return "InvalidStateException";
    const shardEnd = request.during === "shardEnded" || request.during === "shutdown";
    if (request.sequenceNumber === null) {
      if (shardEnd) this.#stored = "SHARD_END";
      else if (this.#largest) this.#stored = this.#largest;
      return null;
    }
    if (!/^[0-9]+$/.test(request.sequenceNumber)) return "IllegalArgumentException";
    const position = {
      sequenceNumber: request.sequenceNumber,
      subSequenceNumber: request.subSequenceNumber ?? 0,
    };
    if (position.subSequenceNumber < 0) return "IllegalArgumentException";
    if (!shardEnd && (!this.#largest || comparePositions(position, this.#largest) > 0)) {
      return "IllegalArgumentException";
    }
    const stored = this.#stored;
    if (stored === "SHARD_END") return "IllegalArgumentException";
    if (stored && typeof stored !== "string" && comparePositions(position, stored) < 0) {
      return "IllegalArgumentException";
    }
    // At shard end the daemon stores SHARD_END for the last record delivered
    // (ShardRecordProcessorCheckpointer.advancePosition, sequenceNumberAtShardEnd).
    this.#stored = shardEnd && this.#largest && comparePositions(position, this.#largest) === 0
      ? "SHARD_END"
      : position;
    return null;
  }
}

function toBase64(bytes: Uint8Array): string {
  const native = (bytes as unknown as { toBase64?: () => string }).toBase64;
  if (native) return native.call(bytes);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}
