/**
 * The batch-level processor API: one typed, async handler per daemon message.
 *
 * @module
 */

import type { Checkpointer } from "../session/checkpointer.ts";
import type { KinesisRecord } from "./record.ts";

/** Input of {@linkcode BatchProcessor.initialize}. */
export interface InitializeInput {
  /** The shard this process handles for its whole life, e.g. `shardId-000000000000`. */
  readonly shardId: string;
  /**
   * The lease's checkpoint when processing starts: a sequence number or a
   * sentinel (`TRIM_HORIZON`, `LATEST`, `AT_TIMESTAMP`, `SHARD_END`); `null`
   * if unknown (or from a KCL 1.7.0 daemon).
   */
  readonly sequenceNumber: string | null;
  /** The sub-sequence number of that checkpoint, or `null`. */
  readonly subSequenceNumber: number | null;
  /** Aborted when the daemon closes stdin (it stopped or died). */
  readonly signal: AbortSignal;
}

/** Input of {@linkcode BatchProcessor.processRecords}. */
export interface ProcessRecordsInput {
  /** The shard being processed. */
  readonly shardId: string;
  /**
   * The records to process, in shard order. On a retry after a
   * {@linkcode RecordFailure} this starts at the failed record.
   */
  readonly records: readonly KinesisRecord[];
  /** How far this batch is behind the tip of the shard, in milliseconds, or `null`. */
  readonly millisBehindLatest: number | null;
  /** Stores checkpoints. */
  readonly checkpointer: Checkpointer;
  /** 1 on the first try of these records, then 2, 3, ... on retries. */
  readonly attempt: number;
  /** Aborted when the daemon closes stdin (it stopped or died). */
  readonly signal: AbortSignal;
}

/** Input of {@linkcode BatchProcessor.leaseLost}. Checkpointing is no longer possible. */
export interface LeaseLostInput {
  /** The shard whose lease was lost. */
  readonly shardId: string;
  /** Aborted when the daemon closes stdin. */
  readonly signal: AbortSignal;
}

/**
 * Input of {@linkcode BatchProcessor.shardEnded}. After the handler returns,
 * kclts checkpoints at `SHARD_END` (a null sequence number) for you: without
 * it the child shards would never be processed.
 */
export interface ShardEndedInput {
  /** The shard that ended. */
  readonly shardId: string;
  /** Stores checkpoints. */
  readonly checkpointer: Checkpointer;
  /** Aborted when the daemon closes stdin. */
  readonly signal: AbortSignal;
}

/**
 * Input of {@linkcode BatchProcessor.shutdownRequested}: the worker is
 * stopping or handing the lease to another worker. After the handler returns,
 * kclts checkpoints at the last record processed (unless `checkpointAtShutdown`
 * is off); `leaseLost` follows.
 */
export interface ShutdownRequestedInput {
  /** The shard being processed. */
  readonly shardId: string;
  /** Stores checkpoints. */
  readonly checkpointer: Checkpointer;
  /** Aborted when the daemon closes stdin. */
  readonly signal: AbortSignal;
}

/**
 * A shard processor with one handler per daemon message. Only
 * `processRecords` is required. A batch is done when `processRecords`
 * resolves; if it throws, the batch is retried and never skipped unless
 * skipping is enabled (see {@linkcode ErrorPolicyOptions}).
 *
 * @example A processor that sums JSON amounts and checkpoints every batch
 * ```ts
 * import type { BatchProcessor } from "@kclts/kclts";
 * import { FakeDaemon } from "@kclts/kclts/testing";
 * import { strictEqual } from "node:assert/strict";
 *
 * let total = 0;
 * const processor: BatchProcessor = {
 *   async processRecords({ records, checkpointer }) {
 *     for (const record of records) total += record.json<{ amount: number }>().amount;
 *     await checkpointer.checkpoint();
 *   },
 * };
 *
 * await using daemon = new FakeDaemon(processor);
 * await daemon.initialize();
 * await daemon.processRecords([{ data: { amount: 2 } }, { data: { amount: 3 } }]);
 * strictEqual(total, 5);
 * strictEqual(daemon.checkpoints.length, 1);
 * ```
 */
export interface BatchProcessor {
  /** Called once, before any record. */
  initialize?(input: InitializeInput): void | Promise<void>;
  /** Called for each batch of records. */
  processRecords(input: ProcessRecordsInput): void | Promise<void>;
  /** The lease was lost (taken by another worker, or after a shutdown): stop; do not checkpoint. */
  leaseLost?(input: LeaseLostInput): void | Promise<void>;
  /** The shard was split or merged and every record was delivered. */
  shardEnded?(input: ShardEndedInput): void | Promise<void>;
  /** The worker is shutting down or handing this lease off: finish pending work. */
  shutdownRequested?(input: ShutdownRequestedInput): void | Promise<void>;
}
