/**
 * Wire types of the KCL MultiLangDaemon protocol: the messages the daemon
 * writes to the child's stdin, and the messages the child writes to its stdout.
 *
 * Field names are the daemon's own. Sequence numbers are decimal strings that
 * can exceed 2^64: they are never converted to `number`.
 *
 * @module
 */

/** One record of a `processRecords` message, as the daemon serializes it. */
export interface WireRecord {
  /** The record payload, base64 (standard alphabet, padded). `null` for a null payload. */
  readonly data: string | null;
  /** The partition key the producer used. */
  readonly partitionKey: string;
  /** The record's sequence number: a decimal string of up to 128 bits. */
  readonly sequenceNumber: string;
  /** The index of a KPL sub-record inside its aggregate; 0 for ordinary records. */
  readonly subSequenceNumber: number;
  /** When Kinesis accepted the record, in epoch milliseconds, or `null` if unknown. */
  readonly approximateArrivalTimestamp: number | null;
}

/** `initialize`: the first message of every child session. */
export interface InitializeMessage {
  /** The message type. */
  readonly action: "initialize";
  /** The shard this child processes, e.g. `shardId-000000000000`. */
  readonly shardId: string;
  /**
   * The lease's checkpoint: a sequence number or a sentinel such as
   * `TRIM_HORIZON`, `LATEST`, `AT_TIMESTAMP` or `SHARD_END`; `null` when the
   * lease has none, or when the daemon is KCL 1.7.0 or older (which does not
   * send the field).
   */
  readonly sequenceNumber: string | null;
  /** The sub-sequence number of that checkpoint, or `null`. */
  readonly subSequenceNumber: number | null;
  /**
   * `true` when the `sequenceNumber` field was absent: a KCL 1.7.0 or older
   * daemon, which expects checkpoints in the legacy `checkpoint` field.
   */
  readonly legacy: boolean;
}

/** `processRecords`: one batch of records. */
export interface ProcessRecordsMessage {
  /** The message type. */
  readonly action: "processRecords";
  /** The records, in shard order, already de-aggregated by the daemon. */
  readonly records: readonly WireRecord[];
  /** How far behind the tip of the shard this batch is, in milliseconds, or `null`. */
  readonly millisBehindLatest: number | null;
}

/** `leaseLost`: this worker no longer holds the shard's lease; no checkpoint is possible. */
export interface LeaseLostMessage {
  /** The message type. */
  readonly action: "leaseLost";
}

/** `shardEnded`: the shard is closed and fully delivered; the child must checkpoint. */
export interface ShardEndedMessage {
  /** The message type. */
  readonly action: "shardEnded";
}

/** `shutdownRequested`: the worker is shutting down or handing the lease off. */
export interface ShutdownRequestedMessage {
  /** The message type. */
  readonly action: "shutdownRequested";
}

/**
 * `shutdown`: sent only by KCL 1.x daemons. `TERMINATE` means the shard ended
 * (checkpoint required), `ZOMBIE` that the lease was lost (no checkpoint).
 */
export interface ShutdownMessage {
  /** The message type. */
  readonly action: "shutdown";
  /** `TERMINATE` or `ZOMBIE` (KCL 2.x names `SHARD_END`, `LEASE_LOST` are accepted too). */
  readonly reason: "TERMINATE" | "ZOMBIE";
}

/** The daemon's answer to a checkpoint request. */
export interface CheckpointReplyMessage {
  /** The message type. */
  readonly action: "checkpoint";
  /** Echo of the requested sequence number (`null` for "the latest delivered"). */
  readonly sequenceNumber: string | null;
  /** Echo of the requested sub-sequence number. */
  readonly subSequenceNumber: number | null;
  /** `null` on success, else the Java simple class name of the failure, e.g. `ThrottlingException`. */
  readonly error: string | null;
}

/** Every message the daemon sends to the child. */
export type DaemonMessage =
  | InitializeMessage
  | ProcessRecordsMessage
  | LeaseLostMessage
  | ShardEndedMessage
  | ShutdownRequestedMessage
  | ShutdownMessage
  | CheckpointReplyMessage;

/** The actions a child answers with a `status` message. */
export type StatusAction =
  | "initialize"
  | "processRecords"
  | "leaseLost"
  | "shardEnded"
  | "shutdownRequested"
  | "shutdown";

/** `status`: the child finished handling the named action. */
export interface StatusMessage {
  /** The message type. */
  readonly action: "status";
  /** The `action` of the message being answered, exactly. */
  readonly responseFor: StatusAction;
}

/** `checkpoint`: the child asks the daemon to store a checkpoint. */
export interface CheckpointRequestMessage {
  /** The message type. */
  readonly action: "checkpoint";
  /** A decimal sequence number, or `null` for "everything delivered so far" (at shard end: `SHARD_END`). */
  readonly sequenceNumber: string | null;
  /** The sub-sequence number, or `null` (meaning 0). Only used with a non-null sequence number. */
  readonly subSequenceNumber: number | null;
}

/** Every message the child sends to the daemon. */
export type ChildMessage = StatusMessage | CheckpointRequestMessage;

/**
 * The protocol dialect of the daemon.
 *
 * - `"v2"`: KCL 1.7.2+ and every 2.x/3.x daemon: checkpoints carry
 *   `sequenceNumber`/`subSequenceNumber`.
 * - `"legacy"`: KCL 1.7.0 and older (e.g. the original sylvite.jar): a
 *   checkpoint request carries only a `checkpoint` field.
 */
export type Dialect = "v2" | "legacy";
