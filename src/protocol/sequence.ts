/**
 * Ordering of Kinesis sequence numbers. They are decimal strings of up to 128
 * bits, so they are compared as exact integers, never as `number`.
 *
 * @module
 */

/** A position in a shard: a sequence number plus the KPL sub-sequence number. */
export interface SequencePosition {
  /** Decimal sequence number. */
  readonly sequenceNumber: string;
  /** Sub-sequence number (0 for ordinary records). */
  readonly subSequenceNumber: number;
}

function stripZeros(value: string): string {
  let i = 0;
  while (i < value.length - 1 && value.charCodeAt(i) === 48) i++;
  return i === 0 ? value : value.slice(i);
}

/**
 * Compares two decimal sequence numbers exactly.
 *
 * @param a A decimal string.
 * @param b A decimal string.
 * @returns A negative number if `a < b`, 0 if equal, a positive number if `a > b`.
 *
 * @example
 * ```ts
 * import { compareSequenceNumbers } from "@kclts/kclts";
 * import { ok } from "node:assert/strict";
 *
 * // Both round to the same double; compared exactly they differ.
 * ok(
 *   compareSequenceNumbers(
 *     "49590338271490256608559692538361571095921575989136588898",
 *     "49590338271490256608559692538361571095921575989136588899",
 *   ) < 0,
 * );
 * ```
 */
export function compareSequenceNumbers(a: string, b: string): number {
  const x = stripZeros(a);
  const y = stripZeros(b);
  if (x.length !== y.length) return x.length - y.length;
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Compares two positions: by sequence number, then by sub-sequence number.
 *
 * @param a A position.
 * @param b A position.
 * @returns A negative number, 0 or a positive number, like {@linkcode compareSequenceNumbers}.
 *
 * @example
 * ```ts
 * import { comparePositions } from "@kclts/kclts";
 * import { ok } from "node:assert/strict";
 *
 * ok(comparePositions({ sequenceNumber: "7", subSequenceNumber: 2 }, {
 *   sequenceNumber: "7",
 *   subSequenceNumber: 3,
 * }) < 0);
 * ```
 */
export function comparePositions(a: SequencePosition, b: SequencePosition): number {
  return compareSequenceNumbers(a.sequenceNumber, b.sequenceNumber) ||
    a.subSequenceNumber - b.subSequenceNumber;
}
