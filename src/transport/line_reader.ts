/**
 * Splits a byte stream into text lines without quadratic copying: chunks are
 * kept as they arrive and a line is joined and decoded once, when its
 * terminator arrives. A `processRecords` line can be tens of megabytes.
 *
 * @module
 */

const LF = 10;
const CR = 13;

/**
 * Where a {@linkcode LineReader} gets bytes: `next()` returns the next chunk,
 * or `null` at the end; `cancel()`, if present, stops a pending `next()`.
 * A `ReadableStream` is turned into one; `connectStdio` reads stdin directly
 * (Web Streams cost a few milliseconds to set up, per shard process).
 */
export interface ChunkSource {
  /** The next chunk of bytes, or `null` at the end of the input. */
  next(): Promise<Uint8Array | null>;
  /** Stops reading; a pending `next()` then resolves to `null`. */
  cancel?(): Promise<void>;
}

/**
 * Makes a {@linkcode ChunkSource} of a byte stream.
 *
 * @param stream The stream.
 * @returns The source.
 */
export function streamSource(stream: ReadableStream<Uint8Array>): ChunkSource {
  const reader = stream.getReader();
  return {
    next: async () => {
      const result = await reader.read();
      return result.done ? null : result.value;
    },
    cancel: () => reader.cancel().catch(() => {}),
  };
}

/**
 * Reads UTF-8 lines from a byte stream. Accepts `\n` and `\r\n` terminators;
 * a final line without a terminator is returned at end of stream.
 *
 * @example
 * ```ts
 * import { LineReader } from "@kclts/kclts";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * const encoder = new TextEncoder();
 * const reader = new LineReader(ReadableStream.from([
 *   encoder.encode('{"a":'),
 *   encoder.encode('1}\r\n\n{"b":2}\n'),
 * ]));
 * const lines: string[] = [];
 * for (let line = await reader.next(); line !== null; line = await reader.next()) {
 *   lines.push(line);
 * }
 * deepStrictEqual(lines, ['{"a":1}', "", '{"b":2}']);
 * ```
 */
export class LineReader {
  #source: ChunkSource;
  #decoder = new TextDecoder();
  /** Bytes of the current line that arrived in earlier chunks. */
  #pending: Uint8Array[] = [];
  #pendingLength = 0;
  /** The current chunk and the offset of its first unread byte. */
  #chunk: Uint8Array = new Uint8Array(0);
  #offset = 0;
  #done = false;
  #cancelled = false;
  #unterminated = false;

  /**
   * Reads lines from a byte stream or another chunk source.
   *
   * @param source The bytes, e.g. `Deno.stdin.readable`.
   */
  constructor(source: ReadableStream<Uint8Array> | ChunkSource) {
    this.#source = typeof (source as ChunkSource).next === "function"
      ? source as ChunkSource
      : streamSource(source as ReadableStream<Uint8Array>);
  }

  /**
   * `true` once the stream ended in the middle of a line: the last line
   * returned had no terminator (a writer that stopped mid-line).
   */
  get endedMidLine(): boolean {
    return this.#unterminated;
  }

  /** Whether {@linkcode cancel} can stop a pending read. */
  get cancellable(): boolean {
    return this.#source.cancel !== undefined;
  }

  /**
   * Returns the next line without its terminator, or `null` at end of stream.
   *
   * @returns The line, or `null` when the stream has ended.
   */
  async next(): Promise<string | null> {
    while (true) {
      const chunk = this.#chunk;
      if (this.#offset < chunk.length) {
        const end = chunk.indexOf(LF, this.#offset);
        if (end !== -1) {
          const start = this.#offset;
          this.#offset = end + 1;
          return this.#finish(chunk.subarray(start, end));
        }
        const rest = chunk.subarray(this.#offset);
        this.#pending.push(rest);
        this.#pendingLength += rest.length;
        this.#offset = chunk.length;
      }
      if (this.#done) return null;
      const received = await this.#source.next();
      if (this.#cancelled) return null;
      if (received === null) {
        this.#done = true;
        if (this.#pendingLength === 0) {
          this.#pending = [];
          return null;
        }
        this.#unterminated = true;
        return this.#finish(new Uint8Array(0));
      }
      this.#chunk = received;
      this.#offset = 0;
    }
  }

  /** Joins the pending bytes with `tail` and decodes them as one line. */
  #finish(tail: Uint8Array): string {
    let bytes = tail;
    if (this.#pendingLength > 0) {
      bytes = new Uint8Array(this.#pendingLength + tail.length);
      let at = 0;
      for (const part of this.#pending) {
        bytes.set(part, at);
        at += part.length;
      }
      bytes.set(tail, at);
      this.#pending = [];
      this.#pendingLength = 0;
    }
    const length = bytes.length > 0 && bytes[bytes.length - 1] === CR
      ? bytes.length - 1
      : bytes.length;
    return this.#decoder.decode(bytes.subarray(0, length));
  }

  /** Stops reading and releases the stream. */
  async cancel(): Promise<void> {
    this.#done = true;
    this.#cancelled = true;
    await this.#source.cancel?.();
  }
}
