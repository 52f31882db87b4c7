/**
 * Error classes of kclts.
 *
 * @module
 */

const MAX_LINE_IN_MESSAGE = 200;

/**
 * Shortens a protocol line for an error message: trimmed, at most 200
 * characters, with the total length noted when it was cut.
 *
 * @param line The raw line.
 * @returns The line, fit to quote in a message.
 */
export function trimLine(line: string): string {
  const trimmed = line.trim();
  if (trimmed.length <= MAX_LINE_IN_MESSAGE) return trimmed;
  return `${trimmed.slice(0, MAX_LINE_IN_MESSAGE)}... (${trimmed.length} characters)`;
}

/**
 * A line from the daemon that is not a valid protocol message, or a message
 * that arrives where the protocol does not allow it.
 *
 * @example Inspect the offending line
 * ```ts
 * import { parseDaemonMessage, ProtocolError } from "@kclts/kclts";
 * import { ok, strictEqual } from "node:assert/strict";
 *
 * try {
 *   parseDaemonMessage('{"action":"explode"}');
 *   ok(false, "unreachable");
 * } catch (error) {
 *   ok(error instanceof ProtocolError);
 *   strictEqual(error.line, '{"action":"explode"}');
 * }
 * ```
 */
export class ProtocolError extends SyntaxError {
  /** The whole offending line (untrimmed), or `""` when the error is not about one line. */
  readonly line: string;

  /**
   * Creates the error.
   *
   * @param message What is wrong.
   * @param line The offending line.
   */
  constructor(message: string, line = "") {
    super(message);
    this.name = "ProtocolError";
    this.line = line;
  }
}

/**
 * The names of the exceptions the daemon reports for a failed checkpoint.
 * Any other Java exception name can occur too; it is kept as is.
 */
export type CheckpointErrorName =
  | "ThrottlingException"
  | "ShutdownException"
  | "InvalidStateException"
  | "IllegalArgumentException"
  | "KinesisClientLibDependencyException"
  | (string & Record<never, never>);

/**
 * The daemon refused a checkpoint. `name` is the Java exception the daemon
 * reported.
 *
 * - `ShutdownException`: the lease is gone; later checkpoints of this shard
 *   fail at once with the same error, without asking the daemon.
 * - `ThrottlingException`, `KinesisClientLibDependencyException`: retried with
 *   backoff before this error is thrown.
 * - `InvalidStateException`: no checkpointer in this state (during
 *   `initialize` or `leaseLost`), or the lease table is unusable.
 * - `IllegalArgumentException`: the sequence number is beyond the records
 *   delivered, or before the last checkpoint.
 *
 * @example Handle a lost lease
 * ```ts
 * import { CheckpointError } from "@kclts/kclts";
 * import { ok, strictEqual } from "node:assert/strict";
 *
 * const error = new CheckpointError("ShutdownException", {
 *   sequenceNumber: "42",
 *   subSequenceNumber: 0,
 * });
 * strictEqual(error.name, "ShutdownException");
 * ok(error.leaseLost);
 * ```
 */
export class CheckpointError extends Error {
  /** The sequence number whose checkpoint failed (`null`: the latest delivered). */
  readonly sequenceNumber: string | null;
  /** The sub-sequence number whose checkpoint failed. */
  readonly subSequenceNumber: number | null;
  /** How many times the checkpoint was sent (0: it was refused without asking the daemon). */
  readonly attempts: number;
  /** Why it failed, when the daemon was not asked. */
  readonly detail: string | undefined;

  /**
   * Creates the error.
   *
   * @param name The daemon's exception name, e.g. `ThrottlingException`.
   * @param options The checkpoint that failed and how often it was tried.
   */
  constructor(name: CheckpointErrorName, options: CheckpointErrorOptions) {
    const target = options.sequenceNumber === null
      ? "the latest record delivered"
      : `sequence number ${options.sequenceNumber}` +
        (options.subSequenceNumber ? ` (sub-sequence ${options.subSequenceNumber})` : "");
    const tries = (options.attempts ?? 1) > 1 ? ` after ${options.attempts} attempts` : "";
    super(
      `Cannot checkpoint at ${target}: ${options.detail ?? `the daemon answered ${name}`}${tries}`,
    );
    this.name = name;
    this.sequenceNumber = options.sequenceNumber;
    this.subSequenceNumber = options.subSequenceNumber;
    this.attempts = options.attempts ?? 1;
    this.detail = options.detail;
  }

  /** `true` when the lease is gone (`ShutdownException`): stop checkpointing this shard. */
  get leaseLost(): boolean {
    return this.name === "ShutdownException";
  }
}

/** What {@linkcode CheckpointError} reports about the failed checkpoint. */
export interface CheckpointErrorOptions {
  /** The sequence number asked for (`null`: the latest delivered). */
  sequenceNumber: string | null;
  /** The sub-sequence number asked for. */
  subSequenceNumber: number | null;
  /** How many times the checkpoint was sent. @default {1} */
  attempts?: number;
  /** Why it failed, when the daemon was not asked. @default {"the daemon answered <name>"} */
  detail?: string;
}

/**
 * Thrown by a processor to say which record failed, so that retries restart
 * at that record rather than at the start of the batch, and a skip (when
 * enabled) skips only that record. The per-record {@linkcode RecordProcessor}
 * throws it for you.
 *
 * @example Fail one record of a batch
 * ```ts
 * import { RecordFailure, type BatchProcessor } from "@kclts/kclts";
 *
 * const processor: BatchProcessor = {
 *   async processRecords({ records }) {
 *     for (const record of records) {
 *       try {
 *         await Promise.resolve(record.json());
 *       } catch (cause) {
 *         throw new RecordFailure(record, cause);
 *       }
 *     }
 *   },
 * };
 * ```
 */
export class RecordFailure extends Error {
  /** The record that failed. */
  readonly record: RecordIdentity;

  /**
   * Creates the error.
   *
   * @param record The record that failed.
   * @param cause Why it failed.
   */
  constructor(record: RecordIdentity, cause: unknown) {
    super(
      `Record ${record.sequenceNumber}` +
        (record.subSequenceNumber ? `/${record.subSequenceNumber}` : "") +
        ` (partition key "${record.partitionKey}") failed: ${describe(cause)}`,
      { cause },
    );
    this.name = "RecordFailure";
    this.record = record;
  }
}

/** The fields that identify a record. */
export interface RecordIdentity {
  /** The record's sequence number. */
  readonly sequenceNumber: string;
  /** The record's sub-sequence number. */
  readonly subSequenceNumber: number;
  /** The record's partition key. */
  readonly partitionKey: string;
}

/**
 * Describes a thrown value in one line.
 *
 * @param error Anything thrown.
 * @returns `Name: message` for errors, else the value as a string.
 */
export function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  try {
    return typeof error === "string" ? error : JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}

/**
 * The processor kept failing after its retries: the session stops without
 * checkpointing past the failure, and the process exits non-zero: the daemon
 * then stops the whole worker (`System.exit(1)` in KCL's
 * `MultiLangShardRecordProcessor`), and once its supervisor restarts it, the
 * records after the last checkpoint are delivered again.
 */
export class ProcessingError extends Error {
  /** The daemon action whose handler failed, e.g. `processRecords`. */
  readonly action: string;
  /** The shard. */
  readonly shardId: string;
  /** How many times the handler was tried. */
  readonly attempts: number;
  /** The first record not processed, when known. */
  readonly record: RecordIdentity | undefined;

  /**
   * Creates the error.
   *
   * @param action The action whose handler failed.
   * @param details The shard, attempts, first unprocessed record and the last error.
   */
  constructor(
    action: string,
    details: {
      shardId: string;
      attempts: number;
      record?: RecordIdentity | undefined;
      cause: unknown;
    },
  ) {
    const at = details.record
      ? ` at record ${details.record.sequenceNumber}` +
        (details.record.subSequenceNumber ? `/${details.record.subSequenceNumber}` : "") +
        ` (partition key "${details.record.partitionKey}")`
      : "";
    super(
      `${action} failed on ${details.shardId}${at} after ${details.attempts} attempts: ${
        describe(details.cause)
      }`,
      { cause: details.cause },
    );
    this.name = "ProcessingError";
    this.action = action;
    this.shardId = details.shardId;
    this.attempts = details.attempts;
    this.record = details.record;
  }
}
