/**
 * A Kinesis record as the processor sees it, with the payload decoded lazily.
 *
 * @module
 */

import type { WireRecord } from "../protocol/types.ts";

const EMPTY = new Uint8Array(0);
const utf8 = new TextDecoder();

type SetFromBase64 = (this: Uint8Array, text: string) => { read: number; written: number };
const setFromBase64 = (Uint8Array.prototype as unknown as { setFromBase64?: SetFromBase64 })
  .setFromBase64;

/** A reused buffer for decoding payloads that are only needed as text. */
let scratch = new Uint8Array(64 * 1024);

/**
 * Small payloads are decoded into views of a shared slab, as Node's `Buffer`
 * pool does: a new `ArrayBuffer` per record costs more than decoding a small
 * payload (about 1 µs each with V8 in Deno 2.9, for 200-byte records), and the
 * per-record API hands every record's bytes to `processRecord`. A kept view
 * keeps its slab (64 KiB) alive, no more.
 */
const SLAB_BYTES = 64 * 1024;
const POOLED_MAX_BYTES = 4 * 1024;
let slab = new ArrayBuffer(SLAB_BYTES);
let slabUsed = 0;

/** New bytes for a payload: a view of the slab when small, else its own buffer. */
function allocate(size: number): Uint8Array {
  if (size > POOLED_MAX_BYTES) return new Uint8Array(size);
  // A slab transferred away (postMessage) is detached: start a new one.
  if (slabUsed + size > SLAB_BYTES || slab.detached) {
    slab = new ArrayBuffer(SLAB_BYTES);
    slabUsed = 0;
  }
  const bytes = new Uint8Array(slab, slabUsed, size);
  slabUsed += size;
  return bytes;
}

/** Decodes base64 into new bytes. */
function fromBase64(text: string): Uint8Array {
  const bytes = allocate(base64Size(text));
  if (setFromBase64) {
    const { written } = setFromBase64.call(bytes, text);
    return written === bytes.length ? bytes : bytes.subarray(0, written);
  }
  const binary = atob(text);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Decodes base64 and then UTF-8, through the scratch buffer (no allocation but the string). */
function base64ToText(text: string): string {
  if (!setFromBase64) return utf8.decode(fromBase64(text));
  const size = base64Size(text);
  if (scratch.length < size) scratch = new Uint8Array(Math.max(size, scratch.length * 2));
  const { written } = setFromBase64.call(scratch, text);
  return utf8.decode(scratch.subarray(0, written));
}

/**
 * One record of a batch. The payload is base64 on the wire; it is decoded the
 * first time {@linkcode KinesisRecord.data}, `text()` or `json()` is used,
 * then kept.
 *
 * @example Read a JSON payload
 * ```ts
 * import { KinesisRecord } from "@kclts/kclts";
 * import { strictEqual } from "node:assert/strict";
 *
 * const record = new KinesisRecord({
 *   data: btoa('{"orderId":7}'),
 *   partitionKey: "customer-1",
 *   sequenceNumber: "49590338271490256608559692538361571095921575989136588898",
 *   subSequenceNumber: 0,
 *   approximateArrivalTimestamp: 1700000000123,
 * });
 * strictEqual(record.json<{ orderId: number }>().orderId, 7);
 * strictEqual(record.text(), '{"orderId":7}');
 * strictEqual(record.size, 13);
 * ```
 */
export class KinesisRecord {
  readonly #wire: WireRecord;
  #data: Uint8Array | undefined;

  /**
   * Wraps a record as the daemon sent it.
   *
   * @param wire The record, payload still base64.
   */
  constructor(wire: WireRecord) {
    this.#wire = wire;
  }

  /**
   * The payload bytes (decoded from base64 on first use). A payload of up to
   * 4 KiB is a view of a 64 KiB buffer shared with other records' payloads
   * (as Node's `Buffer` pool does): use `byteOffset`/`byteLength` with
   * `data.buffer`, and `data.slice()` for a copy of its own (e.g. to transfer
   * it to a worker).
   */
  get data(): Uint8Array {
    if (this.#data === undefined) {
      const base64 = this.#wire.data;
      try {
        this.#data = base64 ? fromBase64(base64) : EMPTY;
      } catch (error) {
        throw this.#invalid(error);
      }
    }
    return this.#data;
  }

  /** The payload size in bytes, computed without decoding it. */
  get size(): number {
    return base64Size(this.#wire.data);
  }

  /** The partition key the producer used. */
  get partitionKey(): string {
    return this.#wire.partitionKey;
  }

  /** The sequence number: a decimal string; never convert it to `number`. */
  get sequenceNumber(): string {
    return this.#wire.sequenceNumber;
  }

  /** The KPL sub-record index; 0 for ordinary records. */
  get subSequenceNumber(): number {
    return this.#wire.subSequenceNumber;
  }

  /** When Kinesis accepted the record, in epoch milliseconds, or `null` if unknown. */
  get approximateArrivalTimestamp(): number | null {
    return this.#wire.approximateArrivalTimestamp;
  }

  /**
   * The payload as UTF-8 text (invalid bytes become U+FFFD).
   *
   * @returns The decoded text.
   */
  text(): string {
    if (this.#data !== undefined) return utf8.decode(this.#data);
    const base64 = this.#wire.data;
    if (!base64) return "";
    try {
      return base64ToText(base64);
    } catch (error) {
      throw this.#invalid(error);
    }
  }

  /**
   * The payload parsed as JSON.
   *
   * @typeParam T The type the caller expects; it is not checked.
   * @returns The parsed value.
   * @throws {SyntaxError} If the payload is not JSON; the message names the record.
   */
  json<T = unknown>(): T {
    const text = this.text();
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw new SyntaxError(
        `Record ${this.sequenceNumber} (partition key "${this.partitionKey}") is not JSON: ${
          (error as Error).message
        }`,
        { cause: error },
      );
    }
  }

  #invalid(cause: unknown): SyntaxError {
    return new SyntaxError(
      `Record ${this.sequenceNumber} (partition key "${this.partitionKey}") has invalid base64 data`,
      { cause },
    );
  }

  /** The record as the daemon sent it (payload still base64). */
  toJSON(): WireRecord {
    return this.#wire;
  }
}

/**
 * The number of bytes a base64 string decodes to.
 *
 * @param base64 Padded standard base64, or `null`.
 * @returns The decoded length.
 */
export function base64Size(base64: string | null): number {
  if (!base64) return 0;
  const length = base64.length;
  let padding = 0;
  if (base64.charCodeAt(length - 1) === 61) padding++;
  if (base64.charCodeAt(length - 2) === 61) padding++;
  return Math.floor(length * 3 / 4) - padding;
}
