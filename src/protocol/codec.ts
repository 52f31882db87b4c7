/**
 * The pure codec of the MultiLangDaemon protocol: one JSON object per line.
 *
 * The child side uses {@linkcode parseDaemonMessage} and
 * {@linkcode serializeChildMessage}; the test kit's fake daemon uses the
 * mirror pair {@linkcode serializeDaemonMessage} and
 * {@linkcode parseChildMessage}. Nothing here does I/O.
 *
 * @module
 */

import { ProtocolError, trimLine } from "../errors.ts";
import type { ChildMessage, DaemonMessage, Dialect, StatusAction, WireRecord } from "./types.ts";

type Json = Record<string, unknown>;

const DIGITS = /^[0-9]+$/;

/**
 * Tells whether a string is a plain decimal sequence number (no sign, no
 * sentinel such as `TRIM_HORIZON`).
 *
 * @param value The string to test.
 * @returns `true` for one or more ASCII digits.
 *
 * @example
 * ```ts
 * import { isSequenceNumber } from "@kclts/kclts";
 * import { ok } from "node:assert/strict";
 *
 * ok(isSequenceNumber("49590338271490256608559692538361571095921575989136588898"));
 * ok(!isSequenceNumber("TRIM_HORIZON"));
 * ```
 */
export function isSequenceNumber(value: string): boolean {
  return DIGITS.test(value);
}

function fail(reason: string, line: string): never {
  throw new ProtocolError(`Cannot parse daemon message: ${reason}: ${trimLine(line)}`, line);
}

function parseObject(line: string, who: "daemon" | "child"): Json {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new ProtocolError(
      `Cannot parse ${who} message: not JSON: ${trimLine(line)}`,
      line,
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ProtocolError(
      `Cannot parse ${who} message: not a JSON object: ${trimLine(line)}`,
      line,
    );
  }
  return value as Json;
}

function optionalString(message: Json, field: string, line: string): string | null {
  const value = message[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== "string") fail(`"${field}" is not a string`, line);
  return value;
}

function optionalInteger(message: Json, field: string, line: string): number | null {
  const value = message[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== "number" || !Number.isInteger(value)) {
    fail(`"${field}" is not an integer`, line);
  }
  return value;
}

function parseRecord(value: unknown, index: number, line: string): WireRecord {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    fail(`record ${index} is not an object`, line);
  }
  const record = value as Json;
  const { data, partitionKey, sequenceNumber, subSequenceNumber, approximateArrivalTimestamp } =
    record;
  if (data !== null && data !== undefined && typeof data !== "string") {
    fail(`record ${index}: "data" is not a base64 string`, line);
  }
  if (typeof partitionKey !== "string") fail(`record ${index}: "partitionKey" is missing`, line);
  if (typeof sequenceNumber !== "string" || !DIGITS.test(sequenceNumber)) {
    fail(`record ${index}: "sequenceNumber" is not a decimal string`, line);
  }
  if (
    subSequenceNumber !== undefined && subSequenceNumber !== null &&
    (typeof subSequenceNumber !== "number" || !Number.isInteger(subSequenceNumber) ||
      subSequenceNumber < 0)
  ) {
    fail(`record ${index}: "subSequenceNumber" is not a non-negative integer`, line);
  }
  if (
    approximateArrivalTimestamp !== undefined && approximateArrivalTimestamp !== null &&
    typeof approximateArrivalTimestamp !== "number"
  ) {
    fail(`record ${index}: "approximateArrivalTimestamp" is not a number`, line);
  }
  // Normalise in place: copying 10,000 records per batch would double the garbage.
  if (data === undefined) record.data = null;
  if (subSequenceNumber === undefined || subSequenceNumber === null) record.subSequenceNumber = 0;
  if (approximateArrivalTimestamp === undefined) record.approximateArrivalTimestamp = null;
  return record as unknown as WireRecord;
}

/**
 * Parses one line the daemon wrote to the child's stdin.
 *
 * Unknown extra fields are ignored (newer daemons may add some); a missing
 * or mistyped field, an unknown `action`, or text that is not a JSON object
 * throws a {@linkcode ProtocolError} that names the (trimmed) line.
 *
 * @param line One line, without its line terminator.
 * @returns The typed message.
 * @throws {ProtocolError} If the line is not a valid daemon message.
 *
 * @example Parse an `initialize` message
 * ```ts
 * import { parseDaemonMessage } from "@kclts/kclts";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * const message = parseDaemonMessage(
 *   '{"action":"initialize","shardId":"shardId-000000000001","sequenceNumber":"TRIM_HORIZON","subSequenceNumber":0}',
 * );
 * deepStrictEqual(message, {
 *   action: "initialize",
 *   shardId: "shardId-000000000001",
 *   sequenceNumber: "TRIM_HORIZON",
 *   subSequenceNumber: 0,
 *   legacy: false,
 * });
 * ```
 */
export function parseDaemonMessage(line: string): DaemonMessage {
  const message = parseObject(line, "daemon");
  const action = message.action;
  switch (action) {
    case "initialize": {
      const shardId = message.shardId;
      if (typeof shardId !== "string" || shardId === "") fail('"shardId" is missing', line);
      return {
        action,
        shardId,
        sequenceNumber: optionalString(message, "sequenceNumber", line),
        subSequenceNumber: optionalInteger(message, "subSequenceNumber", line),
        legacy: !("sequenceNumber" in message),
      };
    }
    case "processRecords": {
      const records = message.records;
      if (!Array.isArray(records)) fail('"records" is not an array', line);
      const parsed = new Array<WireRecord>(records.length);
      for (let i = 0; i < records.length; i++) parsed[i] = parseRecord(records[i], i, line);
      return {
        action,
        records: parsed,
        millisBehindLatest: optionalInteger(message, "millisBehindLatest", line),
      };
    }
    case "leaseLost":
    case "shardEnded":
    case "shutdownRequested":
      return { action };
    case "shutdown": {
      const reason = message.reason;
      if (reason === "TERMINATE" || reason === "SHARD_END") return { action, reason: "TERMINATE" };
      if (reason === "ZOMBIE" || reason === "LEASE_LOST") return { action, reason: "ZOMBIE" };
      return fail(`unknown shutdown reason ${JSON.stringify(reason)}`, line);
    }
    case "checkpoint": {
      // KCL 1.7.1 and older echo the request in "checkpoint"; newer ones in "sequenceNumber".
      const sequenceNumber = "sequenceNumber" in message
        ? optionalString(message, "sequenceNumber", line)
        : optionalString(message, "checkpoint", line);
      return {
        action,
        sequenceNumber,
        subSequenceNumber: optionalInteger(message, "subSequenceNumber", line),
        error: optionalString(message, "error", line),
      };
    }
    case undefined:
      return fail('"action" is missing', line);
    default:
      return fail(`unknown action ${JSON.stringify(action)}`, line);
  }
}

/** Options of {@linkcode serializeChildMessage}. */
export interface SerializeOptions {
  /** The daemon's dialect; `"legacy"` writes checkpoints in the KCL 1.7.0 form. @default {"v2"} */
  dialect?: Dialect;
}

/**
 * Serializes a child message to one JSON line (without the line terminator),
 * with exactly the fields the daemon accepts: the daemon skips a line with an
 * unknown field, and then both sides wait for ever.
 *
 * @param message The status or checkpoint request.
 * @param options The dialect to write.
 * @returns The JSON text, ASCII only.
 * @throws {TypeError} If a sequence number is not a decimal string or a
 * sub-sequence number is not a non-negative integer.
 *
 * @example Serialize a status and a checkpoint
 * ```ts
 * import { serializeChildMessage } from "@kclts/kclts";
 * import { strictEqual } from "node:assert/strict";
 *
 * strictEqual(
 *   serializeChildMessage({ action: "status", responseFor: "processRecords" }),
 *   '{"action":"status","responseFor":"processRecords"}',
 * );
 * strictEqual(
 *   serializeChildMessage({ action: "checkpoint", sequenceNumber: "4959", subSequenceNumber: 0 }),
 *   '{"action":"checkpoint","sequenceNumber":"4959","subSequenceNumber":0}',
 * );
 * strictEqual(
 *   serializeChildMessage(
 *     { action: "checkpoint", sequenceNumber: null, subSequenceNumber: null },
 *     { dialect: "legacy" },
 *   ),
 *   '{"action":"checkpoint","checkpoint":null}',
 * );
 * ```
 */
export function serializeChildMessage(message: ChildMessage, options?: SerializeOptions): string {
  switch (message.action) {
    case "status":
      if (!STATUS_ACTIONS.has(message.responseFor)) {
        throw new TypeError(`Cannot serialize status: unknown action "${message.responseFor}"`);
      }
      return `{"action":"status","responseFor":"${message.responseFor}"}`;
    case "checkpoint": {
      const { sequenceNumber, subSequenceNumber } = message;
      if (sequenceNumber !== null && !DIGITS.test(sequenceNumber)) {
        throw new TypeError(
          `Cannot serialize checkpoint: sequence number ${
            JSON.stringify(sequenceNumber)
          } is not a decimal string`,
        );
      }
      if (
        subSequenceNumber !== null &&
        (!Number.isSafeInteger(subSequenceNumber) || subSequenceNumber < 0)
      ) {
        throw new TypeError(
          `Cannot serialize checkpoint: sub-sequence number ${subSequenceNumber} is not a non-negative integer`,
        );
      }
      const seq = sequenceNumber === null ? "null" : `"${sequenceNumber}"`;
      if (options?.dialect === "legacy") return `{"action":"checkpoint","checkpoint":${seq}}`;
      const sub = subSequenceNumber === null ? "null" : String(subSequenceNumber);
      return `{"action":"checkpoint","sequenceNumber":${seq},"subSequenceNumber":${sub}}`;
    }
  }
}

const STATUS_ACTIONS: ReadonlySet<string> = new Set<StatusAction>([
  "initialize",
  "processRecords",
  "leaseLost",
  "shardEnded",
  "shutdownRequested",
  "shutdown",
]);

/**
 * Serializes a daemon message the way the Java daemon does (every field
 * present, nulls written as `null`). Used by the test kit's fake daemon.
 *
 * @param message The message.
 * @returns One JSON line, without the line terminator.
 *
 * @example
 * ```ts
 * import { serializeDaemonMessage } from "@kclts/kclts";
 * import { strictEqual } from "node:assert/strict";
 *
 * strictEqual(serializeDaemonMessage({ action: "shardEnded" }), '{"action":"shardEnded"}');
 * ```
 */
export function serializeDaemonMessage(message: DaemonMessage): string {
  switch (message.action) {
    case "initialize":
      if (message.legacy) {
        return JSON.stringify({ action: message.action, shardId: message.shardId });
      }
      return JSON.stringify({
        action: message.action,
        shardId: message.shardId,
        sequenceNumber: message.sequenceNumber,
        subSequenceNumber: message.subSequenceNumber,
      });
    case "processRecords":
      return JSON.stringify({
        action: message.action,
        records: message.records.map((record) => ({
          data: record.data,
          partitionKey: record.partitionKey,
          sequenceNumber: record.sequenceNumber,
          approximateArrivalTimestamp: record.approximateArrivalTimestamp,
          subSequenceNumber: record.subSequenceNumber,
          action: "record",
        })),
        millisBehindLatest: message.millisBehindLatest,
      });
    case "checkpoint":
      return JSON.stringify({
        action: message.action,
        sequenceNumber: message.sequenceNumber,
        subSequenceNumber: message.subSequenceNumber,
        error: message.error,
      });
    case "shutdown":
      return JSON.stringify({ action: message.action, reason: message.reason });
    default:
      return JSON.stringify({ action: message.action });
  }
}

/**
 * Parses a line the child wrote to its stdout as strictly as the daemon does:
 * the daemon's Jackson parser rejects unknown fields, so this does too.
 * Used by the test kit's fake daemon.
 *
 * @param line One line, without its terminator.
 * @param options `dialect: "legacy"` accepts the KCL 1.7.0 `checkpoint` field.
 * @returns The typed message.
 * @throws {ProtocolError} If the daemon would skip the line.
 *
 * @example
 * ```ts
 * import { parseChildMessage } from "@kclts/kclts";
 * import { deepStrictEqual, throws } from "node:assert/strict";
 *
 * deepStrictEqual(parseChildMessage('{"action":"status","responseFor":"initialize"}'), {
 *   action: "status",
 *   responseFor: "initialize",
 * });
 * throws(() => parseChildMessage('{"action":"status","responseFor":"initialize","pid":1}'));
 * ```
 */
export function parseChildMessage(line: string, options?: SerializeOptions): ChildMessage {
  const message = parseObject(line, "child");
  const childFail = (reason: string): never => {
    throw new ProtocolError(`Cannot parse child message: ${reason}: ${trimLine(line)}`, line);
  };
  const allowed = message.action === "status"
    ? ["action", "responseFor"]
    : options?.dialect === "legacy"
    ? ["action", "checkpoint", "error"]
    : ["action", "sequenceNumber", "subSequenceNumber", "error"];
  for (const key of Object.keys(message)) {
    if (!allowed.includes(key)) childFail(`unknown field "${key}"`);
  }
  if (message.action === "status") {
    const responseFor = message.responseFor;
    if (typeof responseFor !== "string" || !STATUS_ACTIONS.has(responseFor)) {
      childFail('"responseFor" is not an action');
    }
    return { action: "status", responseFor: responseFor as StatusAction };
  }
  if (message.action === "checkpoint") {
    const seqField = options?.dialect === "legacy" ? "checkpoint" : "sequenceNumber";
    const seq = message[seqField];
    if (seq !== undefined && seq !== null && typeof seq !== "string") {
      childFail(`"${seqField}" is not a string`);
    }
    const sub = message.subSequenceNumber;
    if (sub !== undefined && sub !== null && (typeof sub !== "number" || !Number.isInteger(sub))) {
      childFail('"subSequenceNumber" is not an integer');
    }
    return {
      action: "checkpoint",
      sequenceNumber: (seq as string | null | undefined) ?? null,
      subSequenceNumber: (sub as number | null | undefined) ?? null,
    };
  }
  return childFail(`unknown action ${JSON.stringify(message.action)}`);
}
