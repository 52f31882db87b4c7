/**
 * The connection to the daemon: typed messages over a pair of byte streams.
 * Reads ahead so that the end of stdin (the daemon is gone) is noticed even
 * while a handler runs; writes are serialized, one message per line.
 *
 * @module
 */

import { parseDaemonMessage, serializeChildMessage } from "../protocol/codec.ts";
import type { ChildMessage, DaemonMessage, Dialect } from "../protocol/types.ts";
import { type ChunkSource, LineReader, streamSource } from "./line_reader.ts";

/** Where the connection writes bytes: each call is one whole message. */
export type ByteSink = (bytes: Uint8Array) => void | Promise<void>;

/** Where a traced line went: `"in"` from the daemon, `"out"` to it. */
export type TraceDirection = "in" | "out";

/** A function that receives a copy of every protocol line. */
export type TraceFunction = (direction: TraceDirection, line: string) => void;

/** Options of {@linkcode connectStreams}. */
export interface ConnectOptions {
  /** Receives every line read and written, e.g. to copy it to stderr. */
  trace?: TraceFunction;
}

/**
 * The child's view of the daemon: typed messages in, typed messages out.
 * {@linkcode connectStreams} and {@linkcode connectStdio} create one.
 */
export interface Connection {
  /**
   * The next message from the daemon, or `null` once its stream has ended.
   * Blank lines are skipped.
   *
   * @throws {ProtocolError} If a line is not a valid daemon message.
   */
  read(): Promise<DaemonMessage | null>;
  /**
   * Writes one message as one line, framed as `"\n" + json + "\n"` so that
   * stray bytes before it cannot corrupt it. Concurrent calls are written one
   * after the other.
   */
  write(message: ChildMessage): Promise<void>;
  /** The dialect used to serialize checkpoint requests; set when `initialize` arrives. */
  dialect: Dialect;
  /** Aborted when the daemon's stream ends (the daemon closed stdin or died). */
  readonly ended: AbortSignal;
  /**
   * The length of an unfinished last line, when the input ended in the middle
   * of one (the daemon died while writing); 0 otherwise. Such a line is not
   * parsed: the input simply ended.
   */
  readonly truncated: number;
  /** Stops reading and closes the output. */
  close(): Promise<void>;
}

type Item = { message: DaemonMessage } | { error: unknown } | null;

class StreamConnection implements Connection {
  dialect: Dialect = "v2";
  readonly #reader: LineReader;
  readonly #sink: ByteSink;
  readonly #closeOutput: () => Promise<void>;
  readonly #encoder = new TextEncoder();
  readonly #trace: TraceFunction | undefined;
  readonly #ended = new AbortController();
  readonly #queue: Item[] = [];
  #waiter: ((item: Item) => void) | null = null;
  #pump: Promise<void>;
  #closed = false;
  #truncated = 0;

  constructor(
    input: ChunkSource,
    sink: ByteSink,
    closeOutput: () => Promise<void>,
    options: ConnectOptions,
  ) {
    this.#reader = new LineReader(input);
    this.#sink = sink;
    this.#closeOutput = closeOutput;
    this.#trace = options.trace;
    this.#pump = this.#run();
  }

  get ended(): AbortSignal {
    return this.#ended.signal;
  }

  get truncated(): number {
    return this.#truncated;
  }

  /**
   * Reads lines ahead of the session. The daemon sends nothing while it waits
   * for a status except checkpoint replies, so the queue stays tiny.
   */
  async #run(): Promise<void> {
    while (true) {
      let item: Item;
      try {
        const line = await this.#reader.next();
        if (line === null) {
          item = null;
        } else if (this.#reader.endedMidLine) {
          // The daemon stopped while writing this line: it is the end, not a bad message.
          this.#truncated = line.length;
          item = null;
        } else {
          if (line.trim() === "") continue;
          this.#trace?.("in", line);
          item = { message: parseDaemonMessage(line) };
        }
      } catch (error) {
        item = { error };
      }
      this.#deliver(item);
      if (item === null || "error" in item) {
        if (item === null) this.#ended.abort(new Error("The daemon closed stdin"));
        return;
      }
      // Wait until the session has taken this message before reading the next
      // line, so that a huge batch is never held twice in memory.
      if (this.#queue.length > 0) await new Promise<void>((resolve) => this.#drained = resolve);
    }
  }

  #drained: (() => void) | null = null;

  #deliver(item: Item): void {
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = null;
      waiter(item);
    } else {
      this.#queue.push(item);
    }
  }

  read(): Promise<DaemonMessage | null> {
    const take = (item: Item): DaemonMessage | null => {
      if (item === null) {
        this.#queue.push(null); // the end is sticky
        return null;
      }
      if ("error" in item) {
        this.#queue.push(item); // so is an error
        throw item.error;
      }
      return item.message;
    };
    if (this.#queue.length > 0) {
      const item = this.#queue.shift() as Item;
      const drained = this.#drained;
      this.#drained = null;
      drained?.();
      return Promise.resolve().then(() => take(item));
    }
    if (this.#waiter) return Promise.reject(new Error("Concurrent reads on one connection"));
    return new Promise<Item>((resolve) => this.#waiter = resolve).then(take);
  }

  async write(message: ChildMessage): Promise<void> {
    const line = serializeChildMessage(message, { dialect: this.dialect });
    this.#trace?.("out", line);
    // A newline before the message too, as kclpy and aws-kcl write: bytes that
    // something else left on stdout without a newline end up on a line of their
    // own, which the daemon logs and skips, instead of corrupting this one. The
    // daemon skips empty lines silently (GetNextMessageTask.handleLine).
    await this.#sink(this.#encoder.encode("\n" + line + "\n"));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const cancellable = this.#reader.cancellable;
    await this.#reader.cancel();
    this.#drained?.();
    // A read of stdin cannot be stopped; the process exits after this anyway.
    if (cancellable) await this.#pump;
    await this.#closeOutput().catch(() => {});
  }
}

/**
 * Connects to a daemon over a pair of byte streams: the daemon's messages come
 * in on `input`, the child's go out on `output`. Tests pass in-memory streams;
 * {@linkcode connectStdio} passes the process's stdin and stdout.
 *
 * @param input Bytes from the daemon.
 * @param output Bytes to the daemon.
 * @param options Tracing.
 * @returns The connection.
 *
 * @example Read a message and answer it
 * ```ts
 * import { connectStreams } from "@kclts/kclts";
 * import { strictEqual } from "node:assert/strict";
 *
 * const written: string[] = [];
 * const connection = connectStreams(
 *   ReadableStream.from([new TextEncoder().encode('{"action":"shardEnded"}\n')]),
 *   new WritableStream({ write: (chunk) => void written.push(new TextDecoder().decode(chunk)) }),
 * );
 * const message = await connection.read();
 * strictEqual(message?.action, "shardEnded");
 * await connection.write({ action: "status", responseFor: "shardEnded" });
 * strictEqual(await connection.read(), null);
 * await connection.close();
 * strictEqual(written.join(""), '\n{"action":"status","responseFor":"shardEnded"}\n');
 * ```
 */
export function connectStreams(
  input: ReadableStream<Uint8Array>,
  output: WritableStream<Uint8Array>,
  options: ConnectOptions = {},
): Connection {
  const writer = output.getWriter();
  return new StreamConnection(
    streamSource(input),
    (bytes) => writer.write(bytes),
    () => writer.close(),
    options,
  );
}

/**
 * Connects over a chunk source and a byte sink, without Web Streams (used
 * by {@linkcode connectStdio}).
 *
 * @param input Where the daemon's bytes come from.
 * @param sink Writes one message's bytes.
 * @param options Tracing.
 * @returns The connection.
 */
export function connectSource(
  input: ChunkSource,
  sink: ByteSink,
  options: ConnectOptions = {},
): Connection {
  return new StreamConnection(input, sink, () => Promise.resolve(), options);
}
