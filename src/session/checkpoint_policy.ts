/**
 * When to checkpoint automatically: every N seconds and/or every N records.
 *
 * @module
 */

/** Automatic checkpoint settings. Both 0: only explicit checkpoints. */
export interface CheckpointPolicyOptions {
  /** Checkpoint when this many seconds have passed since the last checkpoint (0 = off). @default {0} */
  everySeconds?: number;
  /** Checkpoint when this many records were processed since the last checkpoint (0 = off). @default {0} */
  everyRecords?: number;
}

/**
 * A pure decision over a record counter and a clock: both rules combine, and
 * whichever is reached first triggers a checkpoint.
 *
 * @example
 * ```ts
 * import { CheckpointPolicy } from "@kclts/kclts";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * let now = 0;
 * const policy = new CheckpointPolicy({ everySeconds: 60, everyRecords: 3 }, () => now);
 * deepStrictEqual([policy.count(), policy.count(), policy.count()], [false, false, true]);
 * policy.reset(); // after the checkpoint
 * deepStrictEqual(policy.count(), false);
 * now = 61_000;
 * deepStrictEqual(policy.due(), true); // a record is pending and 60 s have passed
 * ```
 */
export class CheckpointPolicy {
  readonly #everyMs: number;
  readonly #everyRecords: number;
  readonly #now: () => number;
  #since = 0;
  #last: number;

  /**
   * Creates the policy; the clock starts now.
   *
   * @param options The rules.
   * @param now The clock, in milliseconds. @default {Date.now}
   * @throws {RangeError} If a setting is negative or not a number.
   */
  constructor(options: CheckpointPolicyOptions = {}, now: () => number = Date.now) {
    const seconds = options.everySeconds ?? 0;
    const records = options.everyRecords ?? 0;
    if (!(seconds >= 0) || !Number.isFinite(seconds)) {
      throw new RangeError(`Checkpoint interval must be a number of seconds >= 0: got ${seconds}`);
    }
    if (!Number.isInteger(records) || records < 0) {
      throw new RangeError(`Records per checkpoint must be an integer >= 0: got ${records}`);
    }
    this.#everyMs = seconds * 1000;
    this.#everyRecords = records;
    this.#now = now;
    this.#last = now();
  }

  /** `true` when some rule is on. */
  get enabled(): boolean {
    return this.#everyMs > 0 || this.#everyRecords > 0;
  }

  /** `true` when the time rule is on. */
  get timed(): boolean {
    return this.#everyMs > 0;
  }

  /** Records processed since the last checkpoint. */
  get pending(): number {
    return this.#since;
  }

  /**
   * Counts processed records and tells whether a checkpoint is now due.
   *
   * @param records How many records were processed. @default {1}
   * @returns `true` when a checkpoint is due.
   */
  count(records = 1): boolean {
    this.#since += records;
    return this.due();
  }

  /**
   * Counts processed records and tells whether the record rule is now met,
   * without reading the clock (for callers that read it less often).
   *
   * @param records How many records were processed. @default {1}
   * @returns `true` when `everyRecords` records were processed since the last checkpoint.
   */
  countOnly(records = 1): boolean {
    this.#since += records;
    return this.#everyRecords > 0 && this.#since >= this.#everyRecords;
  }

  /**
   * Tells whether a checkpoint is due, without counting.
   *
   * @param now The time, if the caller just read the clock. @default {the clock}
   * @returns `true` when some processed record is not checkpointed and a rule is met.
   */
  due(now?: number): boolean {
    if (this.#since === 0) return false;
    if (this.#everyRecords > 0 && this.#since >= this.#everyRecords) return true;
    return this.#everyMs > 0 && (now ?? this.#now()) - this.#last >= this.#everyMs;
  }

  /** Starts counting again after a checkpoint. */
  reset(): void {
    this.#since = 0;
    this.#last = this.#now();
  }
}
