/**
 * Per-shard counters, logged at an interval and when the session ends.
 *
 * @module
 */

/** A snapshot of one shard's counters. */
export interface ShardStatsSnapshot {
  /** The shard. */
  shardId: string;
  /** Records received. */
  records: number;
  /** Payload bytes received (decoded size). */
  bytes: number;
  /** `processRecords` batches received. */
  batches: number;
  /** Checkpoints stored. */
  checkpoints: number;
  /** Processor errors and refused checkpoints. */
  errors: number;
  /** Records skipped after their retries (only with skipping enabled). */
  skipped: number;
  /** `millisBehindLatest` of the last batch, or `null`. */
  millisBehindLatest: number | null;
  /** Seconds since the session started. */
  uptimeSeconds: number;
}

/** Counters of one child session. */
export class ShardStats {
  /** The shard, once `initialize` arrived. */
  shardId = "unknown";
  /** Records received. */
  records = 0;
  /** Payload bytes received (decoded size). */
  bytes = 0;
  /** `processRecords` batches received. */
  batches = 0;
  /** Checkpoints stored. */
  checkpoints = 0;
  /** Processor errors and refused checkpoints. */
  errors = 0;
  /** Records skipped after their retries. */
  skipped = 0;
  /** `millisBehindLatest` of the last batch, or `null`. */
  millisBehindLatest: number | null = null;
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
    this.#lastLogged = this.#started;
    this.#intervalMs = intervalSeconds * 1000;
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
      records: this.records,
      bytes: this.bytes,
      batches: this.batches,
      checkpoints: this.checkpoints,
      errors: this.errors,
      skipped: this.skipped,
      millisBehindLatest: this.millisBehindLatest,
      uptimeSeconds: Math.round((this.#now() - this.#started) / 100) / 10,
    };
  }
}
