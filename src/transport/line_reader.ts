/**
 * Splits a byte stream into text lines without quadratic copying: each chunk
 * is decoded as it arrives (a UTF-8 character split between chunks is kept
 * whole), searched for `\n` as text, and the pieces of a line are joined
 * once, when its terminator arrives. A `processRecords` line can be tens of
 * megabytes.
 *
 * @module
 */

const CR = 13;
const STREAM: TextDecodeOptions = { stream: true };

/**
 * Where a {@linkcode LineReader} gets bytes: `next()` returns the next chunk,
 * or `null` at the end; `cancel()`, if present, stops a pending `next()`.
 * The reader is done with a chunk before it asks for the next one, so a
 * source may hand out views of one reused buffer. A `ReadableStream` is
 * turned into one; `connectStdio` reads stdin directly (Web Streams cost a
 * few milliseconds to set up, per shard process).
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
  /** Text of the current line that arrived in earlier chunks. */
  #parts: string[] = [];
  /** The current chunk's text and the offset of its first unread character. */
  #text = "";
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
      const text = this.#text;
      if (this.#offset < text.length) {
        const end = text.indexOf("\n", this.#offset);
        if (end !== -1) {
          const start = this.#offset;
          this.#offset = end + 1;
          return this.#finish(text.slice(start, end));
        }
        this.#parts.push(text.slice(this.#offset));
        this.#text = "";
        this.#offset = 0;
      }
      if (this.#done) return null;
      const received = await this.#source.next();
      if (this.#cancelled) return null;
      if (received === null) {
        this.#done = true;
        // Bytes of an incomplete character at the very end become U+FFFD.
        const rest = this.#decoder.decode();
        if (rest !== "") this.#parts.push(rest);
        if (this.#parts.length === 0) return null;
        this.#unterminated = true;
        return this.#finish("");
      }
      this.#text = this.#decoder.decode(received, STREAM);
      this.#offset = 0;
    }
  }

  /** Joins the earlier pieces of the line with `tail` and drops a final `\r`. */
  #finish(tail: string): string {
    let line = tail;
    if (this.#parts.length > 0) {
      this.#parts.push(tail);
      line = this.#parts.join("");
      this.#parts = [];
    }
    return line.charCodeAt(line.length - 1) === CR ? line.slice(0, -1) : line;
  }

  /** Stops reading and releases the stream. */
  async cancel(): Promise<void> {
    this.#done = true;
    this.#cancelled = true;
    await this.#source.cancel?.();
  }
}
