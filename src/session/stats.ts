/**
 * Per-shard counters and timings: logged at an interval and when the session
 * ends, and read by the metrics (`KCLTS_HTTP_PORT`).
 *
 * @module
 */

/** Where a session is in its lease's life. */
export type ShardState = "new" | "ready" | "shuttingDown" | "ended";

/** A snapshot of one shard's counters. Times are epoch milliseconds of the session's clock. */
export interface ShardStatsSnapshot {
  /** The shard. */
  shardId: string;
  /** `new` before `initialize` is answered, `ready` while the shard is held, `shuttingDown` after `shutdownRequested`, `ended` after the lease ended or the session stopped. */
  state: ShardState;
  /** Records received. */
  records: number;
  /** Payload bytes received (decoded size). */
  bytes: number;
  /** `processRecords` batches received. */
  batches: number;
  /** Checkpoints stored. */
  checkpoints: number;
  /** Checkpoints the daemon refused (each attempt). */
  checkpointErrors: number;
  /** Errors thrown by the processor's handlers (each attempt). */
  processingErrors: number;
  /** `checkpointErrors` + `processingErrors`. */
  errors: number;
  /** Records skipped after their retries (only with skipping enabled). */
  skipped: number;
  /** `millisBehindLatest` of the last batch, or `null`. */
  millisBehindLatest: number | null;
  /** Seconds since the session started. */
  uptimeSeconds: number;
  /** When the session started. */
  startedAt: number;
  /** When the last `processRecords` arrived, or `null`. */
  lastBatchAt: number | null;
  /** When the last checkpoint was stored, or `null`. */
  lastCheckpointAt: number | null;
  /** The message being handled (`processRecords`, ...), or `null` between messages. */
  handler: string | null;
  /** Since when {@linkcode handler} runs, or `null`. */
  handlerSince: number | null;
  /** Since when the session waits for the daemon's next message, or `null` while a handler runs. */
  idleSince: number | null;
}

/** What a session's counters offer to their readers (the metrics). */
export interface ShardStatsReader {
  /** Copies the counters. */
  snapshot(): ShardStatsSnapshot;
}

/** Counters of one shard session. */
export class ShardStats implements ShardStatsReader {
  /** The shard, once `initialize` arrived. */
  shardId = "unknown";
  /** Where the session is (see {@linkcode ShardStatsSnapshot.state}). */
  state: ShardState = "new";
  /** Records received. */
  records = 0;
  /** Payload bytes received (decoded size). */
  bytes = 0;
  /** `processRecords` batches received. */
  batches = 0;
  /** Checkpoints stored. */
  checkpoints = 0;
  /** Checkpoints the daemon refused (each attempt). */
  checkpointErrors = 0;
  /** Errors thrown by the processor's handlers (each attempt). */
  processingErrors = 0;
  /** Records skipped after their retries. */
  skipped = 0;
  /** `millisBehindLatest` of the last batch, or `null`. */
  millisBehindLatest: number | null = null;
  /** When the last `processRecords` arrived (epoch ms), or `null`. */
  lastBatchAt: number | null = null;
  /** When the last checkpoint was stored (epoch ms), or `null`. */
  lastCheckpointAt: number | null = null;
  /** The message being handled, or `null` between messages. */
  handler: string | null = null;
  /** Since when {@linkcode handler} runs (epoch ms), or `null`. */
  handlerSince: number | null = null;
  /** Since when the session waits for the daemon (epoch ms), or `null` while a handler runs. */
  idleSince: number | null;
  readonly #now: () => number;
  readonly #started: number;
  readonly #intervalMs: number;
  #lastLogged: number;

  /**
   * Starts counting.
   *
   * @param intervalSeconds How often {@linkcode due} turns true (0 = never).
   * @param now The clock, in milliseconds.
   */
  constructor(intervalSeconds: number, now: () => number = Date.now) {
    this.#now = now;
    this.#started = now();
    this.idleSince = this.#started;
    this.#lastLogged = this.#started;
    this.#intervalMs = intervalSeconds * 1000;
  }

  /** `checkpointErrors` + `processingErrors`. */
  get errors(): number {
    return this.checkpointErrors + this.processingErrors;
  }

  /**
   * Counts a `processRecords` batch as it arrives.
   *
   * @param records Its records.
   * @param bytes Their decoded payload size.
   * @param millisBehindLatest The daemon's `millisBehindLatest`.
   */
  batch(records: number, bytes: number, millisBehindLatest: number | null): void {
    this.batches++;
    this.records += records;
    this.bytes += bytes;
    this.millisBehindLatest = millisBehindLatest;
    this.lastBatchAt = this.#now();
  }

  /** Counts a stored checkpoint. */
  checkpointStored(): void {
    this.checkpoints++;
    this.lastCheckpointAt = this.#now();
  }

  /**
   * Marks the start of a message's handling.
   *
   * @param action The message.
   */
  busy(action: string): void {
    this.handler = action;
    this.handlerSince = this.#now();
    this.idleSince = null;
  }

  /**
   * Marks the end of a message's handling.
   *
   * @param state The session's state after it.
   */
  idle(state: ShardState): void {
    this.state = state;
    this.handler = null;
    this.handlerSince = null;
    this.idleSince = this.#now();
  }

  /**
   * Tells whether the interval has passed since the last log, and if so starts a new one.
   *
   * @returns `true` when the stats should be logged now.
   */
  due(): boolean {
    if (this.#intervalMs <= 0) return false;
    const now = this.#now();
    if (now - this.#lastLogged < this.#intervalMs) return false;
    this.#lastLogged = now;
    return true;
  }

  /**
   * Copies the counters.
   *
   * @returns The counters now.
   */
  snapshot(): ShardStatsSnapshot {
    return {
      shardId: this.shardId,
      state: this.state,
      records: this.records,
      bytes: this.bytes,
      batches: this.batches,
      checkpoints: this.checkpoints,
      checkpointErrors: this.checkpointErrors,
      processingErrors: this.processingErrors,
      errors: this.errors,
      skipped: this.skipped,
      millisBehindLatest: this.millisBehindLatest,
      uptimeSeconds: Math.round((this.#now() - this.#started) / 100) / 10,
      startedAt: this.#started,
      lastBatchAt: this.lastBatchAt,
      lastCheckpointAt: this.lastCheckpointAt,
      handler: this.handler,
      handlerSince: this.handlerSince,
      idleSince: this.idleSince,
    };
  }
}
