/**
 * The child session: reads the daemon's messages, calls the processor, and
 * answers each message with exactly one `status`.
 *
 * @module
 */

import { type CheckpointRetryOptions, ShardCheckpointer } from "./checkpointer.ts";
import { CheckpointPolicy, type CheckpointPolicyOptions } from "./checkpoint_policy.ts";
import {
  CheckpointError,
  describe,
  ProcessingError,
  ProtocolError,
  RecordFailure,
} from "../errors.ts";
import {
  type ErrorPolicy,
  errorPolicy,
  type ErrorPolicyOptions,
  retryDelay,
} from "./error_policy.ts";
import { type Log, logger } from "../runtime/log.ts";
import type { BatchProcessor } from "../api/processor.ts";
import type {
  CheckpointReplyMessage,
  CheckpointRequestMessage,
  DaemonMessage,
  InitializeMessage,
  ProcessRecordsMessage,
  StatusAction,
} from "../protocol/types.ts";
import { base64Size, KinesisRecord } from "../api/record.ts";
import { comparePositions, type SequencePosition } from "../protocol/sequence.ts";
import { ShardStats } from "./stats.ts";
import type { Connection } from "../transport/connection.ts";
import { connectStdio } from "../transport/stdio.ts";

/** Options of {@linkcode run}. */
export interface RunOptions {
  /** The daemon connection. @default {connectStdio()} */
  connection?: Connection;
  /**
   * Automatic checkpoints after completed batches, at the batch's last record.
   * Off by default for a {@linkcode BatchProcessor}; the per-record
   * {@linkcode RecordProcessor} has its own settings.
   */
  checkpoint?: CheckpointPolicyOptions;
  /**
   * At `shutdownRequested`, after the handler, checkpoint at the last record of
   * the last completed batch. Turn off if records are still buffered after
   * `processRecords` resolved. @default {true}
   */
  checkpointAtShutdown?: boolean;
  /** Resends of throttled checkpoints. */
  checkpointRetry?: CheckpointRetryOptions;
  /** What happens when the processor throws. */
  onError?: ErrorPolicyOptions;
  /** How often to log the shard's counters, in seconds (0 = only at the end). @default {60} */
  statsIntervalSeconds?: number;
  /** How long to wait for a running handler after the daemon closed stdin, in milliseconds. @default {5000} */
  eofGraceMs?: number;
  /** Sleep function (tests make it instant). */
  sleep?: (ms: number) => Promise<void>;
  /** Clock in milliseconds (tests control it). */
  now?: () => number;
  /**
   * The shard's counters, updated as the session runs (the hub and the metrics
   * read them while it runs). @default {a new one, logged every statsIntervalSeconds}
   */
  stats?: ShardStats;
}

type State = "new" | "ready" | "shuttingDown" | "ended";

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

class Session {
  readonly #processor: BatchProcessor;
  readonly #connection: Connection;
  readonly #policy: ErrorPolicy;
  readonly #autoCheckpoint: CheckpointPolicy;
  readonly #checkpointAtShutdown: boolean;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #eofGraceMs: number;
  readonly #stats: ShardStats;
  readonly #checkpointer: ShardCheckpointer;
  #log: Log = logger("session");
  #state: State = "new";
  #shardId = "unknown";
  /** The last record of the last batch whose processing completed. */
  #lastDone: SequencePosition | null = null;
  /** A failure of the connection itself, found during a checkpoint. */
  #fatal: unknown = null;

  constructor(processor: BatchProcessor, options: RunOptions) {
    if (typeof processor?.processRecords !== "function") {
      throw new TypeError("The processor has no processRecords method");
    }
    this.#processor = processor;
    this.#connection = options.connection ?? connectStdio();
    this.#policy = errorPolicy(options.onError);
    const now = options.now ?? Date.now;
    this.#autoCheckpoint = new CheckpointPolicy(options.checkpoint, now);
    this.#checkpointAtShutdown = options.checkpointAtShutdown ?? true;
    this.#sleep = options.sleep ?? defaultSleep;
    this.#eofGraceMs = options.eofGraceMs ?? 5000;
    this.#stats = options.stats ?? new ShardStats(options.statsIntervalSeconds ?? 60, now);
    const checkpointLog = logger("checkpoint");
    this.#checkpointer = new ShardCheckpointer({
      ...(options.checkpointRetry ? { retry: options.checkpointRetry } : {}),
      sleep: this.#sleep,
      events: {
        stored: (position) => {
          this.#stats.checkpointStored();
          checkpointLog.debug("Checkpoint stored at {at}", {
            shardId: this.#shardId,
            at: position ? position.sequenceNumber : "latest",
            subSequenceNumber: position?.subSequenceNumber ?? null,
          });
        },
        refused: (error, willRetry, delayMs) => {
          this.#stats.checkpointErrors++;
          const level = willRetry ? "warn" : error.leaseLost ? "warn" : "error";
          checkpointLog[level]("{message}{retry}", {
            shardId: this.#shardId,
            message: error.message,
            retry: willRetry ? `; retrying in ${delayMs} ms` : "",
          });
        },
      },
    });
  }

  async run(): Promise<void> {
    const ended = new Promise<"ended">((resolve) => {
      if (this.#connection.ended.aborted) resolve("ended");
      else this.#connection.ended.addEventListener("abort", () => resolve("ended"), { once: true });
    });
    try {
      while (true) {
        const message = await this.#connection.read();
        if (message === null) break;
        this.#stats.busy(message.action);
        const handling = this.#dispatch(message);
        const outcome = await Promise.race([handling.then(() => "done" as const), ended]);
        this.#stats.idle(this.#state);
        if (outcome === "ended" && this.#state !== "ended") {
          this.#log.warn(
            "The daemon closed stdin while {action} was running; waiting up to {ms} ms for it",
            { shardId: this.#shardId, action: message.action, ms: this.#eofGraceMs },
          );
          await this.#waitAtMost(handling, this.#eofGraceMs);
          break;
        }
        if (outcome === "ended") await handling;
        if (this.#fatal) throw this.#fatal;
      }
      if (this.#connection.truncated > 0) {
        this.#log.warn(
          "The daemon's input ended in the middle of a line ({length} characters): it stopped while writing",
          { length: this.#connection.truncated },
        );
      }
      this.#checkpointer.end(
        new CheckpointError("ShutdownException", {
          sequenceNumber: null,
          subSequenceNumber: null,
          attempts: 0,
          detail: "the session has ended",
        }),
      );
      this.#logStats("Session ended");
    } catch (error) {
      this.#logStats("Session failed");
      throw error;
    } finally {
      this.#stats.idle("ended");
      await this.#connection.close();
    }
  }

  async #waitAtMost(work: Promise<unknown>, ms: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      work.catch(() => {}),
      new Promise<void>((resolve) => timer = setTimeout(resolve, ms)),
    ]);
    clearTimeout(timer);
  }

  #logStats(message: string): void {
    this.#log.info(
      `${message}: {records} records, {bytes} bytes, {batches} batches, {checkpoints} checkpoints, {errors} errors`,
      {
        ...this.#stats.snapshot(),
      },
    );
  }

  async #dispatch(message: DaemonMessage): Promise<void> {
    switch (message.action) {
      case "initialize":
        return await this.#initialize(message);
      case "processRecords":
        return await this.#processRecords(message);
      case "shutdownRequested":
        return await this.#shutdownRequested();
      case "shardEnded":
        return await this.#shardEnded("shardEnded");
      case "leaseLost":
        return await this.#leaseLost("leaseLost");
      case "shutdown":
        return message.reason === "TERMINATE"
          ? await this.#shardEnded("shutdown")
          : await this.#leaseLost("shutdown");
      case "checkpoint":
        throw new ProtocolError(
          "Unexpected checkpoint reply: no checkpoint was requested",
          JSON.stringify(message),
        );
    }
  }

  #expect(action: string, ...states: State[]): void {
    if (!states.includes(this.#state)) {
      const where = this.#state === "new"
        ? "before initialize"
        : this.#state === "ended"
        ? "after the lease ended"
        : `in state ${this.#state}`;
      throw new ProtocolError(`Unexpected ${action} message ${where}`);
    }
  }

  async #status(action: StatusAction): Promise<void> {
    try {
      await this.#connection.write({ action: "status", responseFor: action });
    } catch (error) {
      if (!this.#connection.ended.aborted) throw error;
    }
  }

  /** Sends a checkpoint request and reads the reply; connection failures are fatal. */
  #exchange = async (request: CheckpointRequestMessage): Promise<CheckpointReplyMessage> => {
    let reply: DaemonMessage | null;
    try {
      await this.#connection.write(request);
      reply = await this.#connection.read();
    } catch (error) {
      if (this.#connection.ended.aborted) reply = null;
      else {
        this.#fatal ??= error;
        throw error;
      }
    }
    if (reply === null) {
      const error = new CheckpointError("ShutdownException", {
        sequenceNumber: request.sequenceNumber,
        subSequenceNumber: request.subSequenceNumber,
        attempts: 0,
        detail: "the daemon closed stdin",
      });
      this.#checkpointer.end(error);
      throw error;
    }
    if (reply.action !== "checkpoint") {
      const error = new ProtocolError(
        `Expected the daemon's reply to a checkpoint, got a ${reply.action} message`,
        JSON.stringify(reply),
      );
      this.#fatal ??= error;
      throw error;
    }
    if (
      reply.sequenceNumber !== null && request.sequenceNumber !== null &&
      reply.sequenceNumber !== request.sequenceNumber
    ) {
      const error = new ProtocolError(
        `The daemon's checkpoint reply is for ${reply.sequenceNumber}, not ${request.sequenceNumber}`,
        JSON.stringify(reply),
      );
      this.#fatal ??= error;
      throw error;
    }
    return reply;
  };

  #noCheckpointer(action: string): CheckpointError {
    return new CheckpointError("InvalidStateException", {
      sequenceNumber: null,
      subSequenceNumber: null,
      attempts: 0,
      detail: `the daemon allows no checkpoint during ${action}`,
    });
  }

  /**
   * Calls a lifecycle handler, retrying it per the error policy.
   *
   * @returns `null` on success, else the last error.
   */
  async #attempt(action: string, call: () => void | Promise<void>): Promise<unknown> {
    for (let attempt = 1;; attempt++) {
      try {
        await call();
        return null;
      } catch (error) {
        if (this.#fatal) return error;
        this.#stats.processingErrors++;
        if (error instanceof CheckpointError && error.leaseLost) return error;
        if (attempt > this.#policy.retries) return error;
        const delay = retryDelay(this.#policy, attempt);
        this.#log.warn("{action} failed (attempt {attempt}); retrying in {delay} ms: {error}", {
          shardId: this.#shardId,
          action,
          attempt,
          delay,
          error: describe(error),
        });
        await this.#sleep(delay);
      }
    }
  }

  async #initialize(message: InitializeMessage): Promise<void> {
    this.#expect("initialize", "new");
    this.#shardId = message.shardId;
    this.#stats.shardId = message.shardId;
    this.#log = this.#log.with({ shardId: message.shardId });
    if (message.legacy) {
      this.#connection.dialect = "legacy";
      this.#log.info("KCL 1.7.0-or-older daemon detected: checkpoints use the legacy format");
    }
    this.#log.info("Initializing {shardId} at {position}", {
      position: message.sequenceNumber ?? "unknown position",
    });
    this.#checkpointer.refuse(this.#noCheckpointer("initialize"));
    const handler = this.#processor.initialize;
    if (handler) {
      const input = {
        shardId: message.shardId,
        sequenceNumber: message.sequenceNumber,
        subSequenceNumber: message.subSequenceNumber,
        signal: this.#connection.ended,
      };
      const error = await this.#attempt("initialize", () => handler.call(this.#processor, input));
      if (error) {
        throw new ProcessingError("initialize", {
          shardId: this.#shardId,
          attempts: this.#policy.retries + 1,
          cause: error,
        });
      }
    }
    this.#checkpointer.hold();
    this.#state = "ready";
    await this.#status("initialize");
  }

  async #processRecords(message: ProcessRecordsMessage): Promise<void> {
    this.#expect("processRecords", "ready", "shuttingDown");
    const wire = message.records;
    const records = new Array<KinesisRecord>(wire.length);
    let bytes = 0;
    for (let i = 0; i < wire.length; i++) {
      const record = wire[i]!;
      records[i] = new KinesisRecord(record);
      bytes += base64Size(record.data);
    }
    const stats = this.#stats;
    stats.batch(records.length, bytes, message.millisBehindLatest);
    const last = records[records.length - 1];
    if (last) this.#checkpointer.delivered(last);

    this.#checkpointer.open(this.#exchange);
    const failure = await this.#processBatch(records, message.millisBehindLatest);
    if (failure === null) {
      if (last) this.#lastDone = last;
      // An empty batch counts nothing but lets the clock cover a quiet stream's tail.
      const due = this.#autoCheckpoint.enabled &&
        (last ? this.#autoCheckpoint.count(records.length) : this.#autoCheckpoint.due());
      if (due && this.#lastDone && !this.#checkpointer.leaseLost) {
        await this.#checkpointQuietly(this.#lastDone, "automatic checkpoint");
        this.#autoCheckpoint.reset();
      }
    }
    await this.#checkpointer.settle();
    this.#checkpointer.hold();
    if (this.#fatal) return;
    if (failure) throw failure;
    if (stats.due()) this.#logStats("Progress");
    await this.#status("processRecords");
  }

  /**
   * Runs `processRecords` with retries and optional skipping.
   *
   * @returns `null` when the batch is done, or the fatal error.
   */
  async #processBatch(
    records: KinesisRecord[],
    millisBehindLatest: number | null,
  ): Promise<ProcessingError | null> {
    let remaining = records;
    let attempt = 1;
    while (remaining.length > 0 || attempt === 1) {
      try {
        await this.#processor.processRecords({
          shardId: this.#shardId,
          records: remaining,
          millisBehindLatest,
          checkpointer: this.#checkpointer,
          attempt,
          signal: this.#connection.ended,
        });
        return null;
      } catch (error) {
        if (this.#fatal) return null;
        if (error instanceof CheckpointError && error.leaseLost) {
          this.#log.warn(
            "The lease is lost ({message}); the rest of this batch is left to the next owner",
            { message: error.message },
          );
          return null;
        }
        this.#stats.processingErrors++;
        const index = failedIndex(remaining, error);
        if (index > 0) {
          remaining = remaining.slice(index);
          attempt = 1;
        }
        const first = remaining[0];
        if (attempt <= this.#policy.retries) {
          const delay = retryDelay(this.#policy, attempt);
          this.#log.warn(
            "processRecords failed at {at} (attempt {attempt}); retrying in {delay} ms: {error}",
            {
              at: first ? first.sequenceNumber : "the batch",
              attempt,
              delay,
              error: describe(error),
            },
          );
          attempt++;
          await this.#sleep(delay);
          continue;
        }
        const failed = first ? (index >= 0 ? [first] : remaining) : [];
        if (!this.#policy.skip || failed.length === 0) {
          return new ProcessingError("processRecords", {
            shardId: this.#shardId,
            attempts: attempt,
            record: first,
            cause: error,
          });
        }
        for (const record of failed) {
          this.#log.error(
            "Skipping record {sequenceNumber} (sub-sequence {subSequenceNumber}, partition key {partitionKey}) of {shardId} after {attempts} attempts: {error}",
            {
              shardId: this.#shardId,
              sequenceNumber: record.sequenceNumber,
              subSequenceNumber: record.subSequenceNumber,
              partitionKey: record.partitionKey,
              attempts: attempt,
              error: describe(error),
            },
          );
          try {
            await this.#policy.deadLetter?.(record, error, {
              shardId: this.#shardId,
              attempts: attempt,
            });
          } catch (hookError) {
            return new ProcessingError("processRecords", {
              shardId: this.#shardId,
              attempts: attempt,
              record,
              cause: new Error(
                `the dead-letter hook failed (${
                  describe(hookError)
                }) for a record that failed with ${describe(error)}`,
                { cause: hookError },
              ),
            });
          }
          this.#stats.skipped++;
        }
        remaining = remaining.slice(failed.length);
        attempt = 1;
        if (remaining.length === 0) return null;
      }
    }
    return null;
  }

  async #checkpointQuietly(position: SequencePosition | null, what: string): Promise<boolean> {
    try {
      await this.#checkpointer.checkpoint(position);
      return true;
    } catch (error) {
      if (!(error instanceof CheckpointError)) throw error;
      if (!error.leaseLost) {
        this.#log.error("The {what} failed: {message}", { what, message: error.message });
      }
      return false;
    }
  }

  async #shutdownRequested(): Promise<void> {
    this.#expect("shutdownRequested", "ready", "shuttingDown");
    this.#log.info("Shutdown requested");
    this.#checkpointer.open(this.#exchange);
    const handler = this.#processor.shutdownRequested;
    let failed = false;
    if (handler) {
      const input = {
        shardId: this.#shardId,
        checkpointer: this.#checkpointer,
        signal: this.#connection.ended,
      };
      const error = await this.#attempt(
        "shutdownRequested",
        () => handler.call(this.#processor, input),
      );
      if (error && !this.#fatal && !(error instanceof CheckpointError && error.leaseLost)) {
        failed = true;
        this.#log.error(
          "shutdownRequested failed after its retries; not checkpointing (the next owner resumes from the last checkpoint): {error}",
          { error: describe(error) },
        );
      }
    }
    const last = this.#lastDone;
    const stored = this.#checkpointer.lastStored;
    if (
      !failed && this.#checkpointAtShutdown && last && !this.#checkpointer.leaseLost &&
      (!stored || comparePositions(last, stored) > 0)
    ) {
      await this.#checkpointQuietly(last, "checkpoint at shutdown");
    }
    await this.#checkpointer.settle();
    this.#checkpointer.hold();
    if (this.#fatal) return;
    this.#state = "shuttingDown";
    await this.#status("shutdownRequested");
  }

  async #shardEnded(action: "shardEnded" | "shutdown"): Promise<void> {
    this.#expect(action, "ready", "shuttingDown");
    this.#log.info("Shard ended");
    this.#checkpointer.shardEnded();
    this.#checkpointer.open(this.#exchange);
    const handler = this.#processor.shardEnded;
    if (handler) {
      const input = {
        shardId: this.#shardId,
        checkpointer: this.#checkpointer,
        signal: this.#connection.ended,
      };
      const error = await this.#attempt("shardEnded", () => handler.call(this.#processor, input));
      if (error && !this.#fatal && !(error instanceof CheckpointError && error.leaseLost)) {
        await this.#checkpointer.settle();
        throw new ProcessingError("shardEnded", {
          shardId: this.#shardId,
          attempts: this.#policy.retries + 1,
          cause: error,
        });
      }
    }
    if (!this.#checkpointer.leaseLost && !this.#fatal) {
      // Always a null sequence number: it stores SHARD_END even when the last
      // record was already checkpointed (an explicit one would be skipped by
      // the daemon as a repeat, and the child shards would never start).
      // If it fails, the child exits non-zero: the daemon does not retry, it
      // stops the whole worker (MultiLangShardRecordProcessor.stopProcessing,
      // System.exit(1)), and shardEnded comes again once it is restarted.
      try {
        await this.#checkpointer.checkpoint(null);
      } catch (error) {
        if (!(error instanceof CheckpointError) || !error.leaseLost) {
          await this.#checkpointer.settle();
          if (this.#fatal) return;
          throw new ProcessingError(action, {
            shardId: this.#shardId,
            attempts: 1,
            cause: error,
          });
        }
      }
    }
    await this.#checkpointer.settle();
    if (this.#fatal) return;
    this.#endLease("the shard has ended");
    await this.#status(action);
  }

  async #leaseLost(action: "leaseLost" | "shutdown"): Promise<void> {
    this.#expect(action, "ready", "shuttingDown");
    if (this.#state === "shuttingDown") {
      // The normal end of a graceful shutdown: KCL 3.x sends leaseLost after
      // shutdownRequested (ShardConsumer's REQUESTED -> LEASE_LOST path).
      this.#log.debug("Lease released after shutdownRequested");
    } else {
      this.#log.info("Lease lost");
    }
    this.#endLease("the lease was lost");
    this.#checkpointer.refuse(this.#noCheckpointer(action));
    const handler = this.#processor.leaseLost;
    if (handler) {
      const input = { shardId: this.#shardId, signal: this.#connection.ended };
      const error = await this.#attempt(action, () => handler.call(this.#processor, input));
      if (error && !this.#fatal) {
        this.#log.error("leaseLost failed after its retries: {error}", { error: describe(error) });
      }
    }
    await this.#status(action);
  }

  #endLease(detail: string): void {
    this.#state = "ended";
    this.#checkpointer.end(
      new CheckpointError("ShutdownException", {
        sequenceNumber: null,
        subSequenceNumber: null,
        attempts: 0,
        detail,
      }),
    );
  }
}

/** Finds the record a {@linkcode RecordFailure} names; -1 when the error names none. */
function failedIndex(records: readonly KinesisRecord[], error: unknown): number {
  if (!(error instanceof RecordFailure)) return -1;
  const target = error.record;
  const byReference = records.indexOf(target as KinesisRecord);
  if (byReference >= 0) return byReference;
  return records.findIndex((record) =>
    record.sequenceNumber === target.sequenceNumber &&
    record.subSequenceNumber === target.subSequenceNumber
  );
}

/**
 * Runs a processor as the child of a MultiLangDaemon until the daemon closes
 * stdin. This is the core of {@linkcode start}, without process-wide effects
 * (no logging setup, no exit): use it to embed kclts or to test with a custom
 * connection.
 *
 * @param processor The processor.
 * @param options The connection and policies.
 * @returns Resolves when the daemon closed stdin.
 * @throws {ProtocolError} If the daemon sent something invalid.
 * @throws {ProcessingError} If the processor kept failing: the caller should
 * exit non-zero so that the records are delivered again.
 *
 * @example Run against an in-memory daemon
 * ```ts
 * import { connectStreams, run } from "@kclts/kclts";
 * import { strictEqual } from "node:assert/strict";
 *
 * const input = [
 *   '{"action":"initialize","shardId":"shardId-000000000000","sequenceNumber":"TRIM_HORIZON","subSequenceNumber":0}',
 *   '{"action":"leaseLost"}',
 * ].map((line) => new TextEncoder().encode(line + "\n"));
 * let output = "";
 * await run({ processRecords() {} }, {
 *   connection: connectStreams(
 *     ReadableStream.from(input),
 *     new WritableStream({ write: (chunk) => void (output += new TextDecoder().decode(chunk)) }),
 *   ),
 * });
 * strictEqual(
 *   output,
 *   '\n{"action":"status","responseFor":"initialize"}\n\n{"action":"status","responseFor":"leaseLost"}\n',
 * );
 * ```
 */
export async function run(processor: BatchProcessor, options: RunOptions = {}): Promise<void> {
  await new Session(processor, options).run();
}
