/**
 * The kclpy-style API: one call per record, `return true` to checkpoint, and
 * automatic checkpoints every N seconds and/or every N records.
 *
 * @module
 */

import { CheckpointPolicy } from "../session/checkpoint_policy.ts";
import { CheckpointError, RecordFailure } from "../errors.ts";
import { logger } from "../runtime/log.ts";
import type {
  BatchProcessor,
  InitializeInput,
  LeaseLostInput,
  ProcessRecordsInput,
  ShardEndedInput,
  ShutdownRequestedInput,
} from "./processor.ts";
import type { KinesisRecord } from "./record.ts";

/** Checkpoint settings of a {@linkcode RecordProcessor}, named as in kclpy. */
export interface RecordProcessorOptions {
  /**
   * Checkpoint when this many seconds have passed since the last checkpoint
   * (0 = off). Combines with `recordsPerCheckpoint`: whichever comes first.
   * @default {60}
   */
  checkpointFreqSeconds?: number;
  /** Checkpoint every this many records (0 = off). @default {0} */
  recordsPerCheckpoint?: number;
  /** The clock, in milliseconds (for tests). @default {Date.now} */
  now?: () => number;
}

/** What `processRecord` may return: `true` checkpoints at this record. */
export type ProcessRecordResult = boolean | void | undefined;

/**
 * The per-record processor, as in kclpy: override
 * {@linkcode RecordProcessor.processRecord}. Records are processed one after
 * the other, in shard order. Checkpoints happen:
 *
 * - at a record whose `processRecord` returned `true`;
 * - every `checkpointFreqSeconds` seconds (default 60) and/or every
 *   `recordsPerCheckpoint` records (default off), both counted from the last
 *   checkpoint, at the last record processed;
 * - at shard end (`SHARD_END`) and at `shutdownRequested` (the last record
 *   processed), done by the session for every processor.
 *
 * A checkpoint never covers a record that has not been processed: if
 * `processRecord` throws, the session retries that record (see
 * {@linkcode ErrorPolicyOptions}), and the records before it stay
 * checkpointable.
 *
 * The lifecycle hooks of {@linkcode BatchProcessor} (`initialize`,
 * `leaseLost`, `shardEnded`, `shutdownRequested`) can be overridden too.
 *
 * @example A kclpy-style processor
 * ```ts
 * import { RecordProcessor } from "@kclts/kclts";
 * import { FakeDaemon } from "@kclts/kclts/testing";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * class Orders extends RecordProcessor {
 *   readonly seen: string[] = [];
 *   override processRecord(data: Uint8Array, partitionKey: string, sequenceNumber: string) {
 *     this.seen.push(`${partitionKey}:${new TextDecoder().decode(data)}`);
 *     return sequenceNumber.endsWith("2"); // checkpoint at this record
 *   }
 * }
 *
 * const orders = new Orders({ checkpointFreqSeconds: 0 });
 * await using daemon = new FakeDaemon(orders);
 * await daemon.initialize();
 * await daemon.processRecords([
 *   { data: "a", partitionKey: "p", sequenceNumber: "1" },
 *   { data: "b", partitionKey: "p", sequenceNumber: "2" },
 *   { data: "c", partitionKey: "p", sequenceNumber: "3" },
 * ]);
 * deepStrictEqual(orders.seen, ["p:a", "p:b", "p:c"]);
 * deepStrictEqual(daemon.checkpoints.map((c) => c.sequenceNumber), ["2"]);
 * ```
 */
export abstract class RecordProcessor implements BatchProcessor {
  readonly #policy: CheckpointPolicy;
  readonly #now: () => number;
  readonly #log = logger("processor");
  /** The last record processed, for a time-based checkpoint on an empty batch. */
  #last: KinesisRecord | undefined;

  /**
   * Creates the processor.
   *
   * @param options When to checkpoint automatically.
   */
  constructor(options: RecordProcessorOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#policy = new CheckpointPolicy({
      everySeconds: options.checkpointFreqSeconds ?? 60,
      everyRecords: options.recordsPerCheckpoint ?? 0,
    }, this.#now);
  }

  /**
   * Processes one record.
   *
   * @param data The payload bytes.
   * @param partitionKey The partition key.
   * @param sequenceNumber The sequence number (a decimal string).
   * @param record The whole record: sub-sequence number, arrival time, `text()`, `json()`.
   * @returns `true` to checkpoint at this record now.
   */
  abstract processRecord(
    data: Uint8Array,
    partitionKey: string,
    sequenceNumber: string,
    record: KinesisRecord,
  ): ProcessRecordResult | Promise<ProcessRecordResult>;

  /** Called once before any record. */
  initialize?(input: InitializeInput): void | Promise<void>;
  /** The lease was lost: no checkpoint is possible. */
  leaseLost?(input: LeaseLostInput): void | Promise<void>;
  /** The shard ended; the `SHARD_END` checkpoint follows automatically. */
  shardEnded?(input: ShardEndedInput): void | Promise<void>;
  /** The worker is stopping; a checkpoint at the last record processed follows automatically. */
  shutdownRequested?(input: ShutdownRequestedInput): void | Promise<void>;

  /**
   * Calls {@linkcode processRecord} for each record and checkpoints as
   * configured. To add work around a batch, override it and call
   * `super.processRecords(input)`.
   *
   * @param input The batch.
   */
  async processRecords(input: ProcessRecordsInput): Promise<void> {
    const { records } = input;
    const policy = this.#policy;
    const timed = policy.timed;
    // Reading the clock costs about as much as handling a small record, so it
    // is read for the first record of a batch, then every `stride` records:
    // the stride doubles while `stride` records take less than 1 ms (up to
    // 256) and halves when they do not: records 1 ms or slower are each checked.
    let stride = 1;
    let untilClock = 1;
    let lastRead = 0;
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!;
      let result: ProcessRecordResult | Promise<ProcessRecordResult>;
      try {
        result = this.processRecord(
          record.data,
          record.partitionKey,
          record.sequenceNumber,
          record,
        );
        if (result instanceof Promise) result = await result;
      } catch (error) {
        throw new RecordFailure(record, error);
      }
      this.#last = record;
      let due = policy.countOnly();
      if (!due && timed && --untilClock === 0) {
        const now = this.#now();
        due = policy.due(now);
        stride = i > 0 && now - lastRead < 1 ? Math.min(stride * 2, 256) : Math.max(stride >> 1, 1);
        untilClock = stride;
        lastRead = now;
      }
      if (result === true || due) {
        await this.#checkpoint(input, record);
        stride = untilClock = 1;
      }
    }
    // An empty batch (callProcessRecordsEvenForEmptyRecordList) still lets the
    // clock checkpoint the last records once the stream goes quiet.
    if (records.length === 0 && this.#last && this.#policy.due()) {
      await this.#checkpoint(input, this.#last);
    }
  }

  async #checkpoint(input: ProcessRecordsInput, record: KinesisRecord): Promise<void> {
    try {
      await input.checkpointer.checkpoint(record);
      this.#policy.reset();
    } catch (error) {
      // A lost lease ends the batch; any other refusal is logged, and the
      // next checkpoint covers this record.
      if (!(error instanceof CheckpointError) || error.leaseLost) throw error;
      this.#log.warn("Checkpoint at record {sequenceNumber} failed: {message}", {
        shardId: input.shardId,
        sequenceNumber: record.sequenceNumber,
        message: error.message,
      });
    }
  }
}
