/**
 * What happens when a processor throws: retry, then stop the process (the
 * daemon then stops the whole worker, `System.exit(1)` in KCL 3.1.3's
 * `MultiLangShardRecordProcessor.stopProcessing`; restarted by its supervisor,
 * it resumes from the last checkpoint), or, only when asked, skip.
 *
 * @module
 */

import type { KinesisRecord } from "../api/record.ts";

/** Context passed to a dead-letter hook. */
export interface DeadLetterContext {
  /** The shard the record came from. */
  readonly shardId: string;
  /** How many times the record was tried. */
  readonly attempts: number;
}

/**
 * A hook that receives each record skipped after its retries, e.g. to store
 * it somewhere for later. If the hook throws, the record is not skipped: the
 * process stops instead, so nothing is lost.
 */
export type DeadLetterHook = (
  record: KinesisRecord,
  error: unknown,
  context: DeadLetterContext,
) => void | Promise<void>;

/**
 * How processor errors are handled. By default a failing batch (or record,
 * with {@linkcode RecordFailure}) is retried 3 times with backoff, then the
 * process exits non-zero without checkpointing past it: the daemon stops the
 * whole worker and, once its supervisor restarts it, delivers everything
 * after the last checkpoint again.
 */
export interface ErrorPolicyOptions {
  /** Retries after the first failure. @default {3} */
  retries?: number;
  /** The wait before the first retry, in milliseconds; it doubles each retry. @default {1000} */
  retryDelayMs?: number;
  /** The longest wait between retries, in milliseconds. @default {30000} */
  maxRetryDelayMs?: number;
  /**
   * Skip what still fails after the retries instead of stopping: each skipped
   * record is logged (shard, sequence number, partition key) and passed to
   * `deadLetter`. Off by default: skipping loses records.
   * @default {false}
   */
  skip?: boolean;
  /** Receives each skipped record (only with `skip`). */
  deadLetter?: DeadLetterHook;
}

/** The error policy with every default applied. */
export interface ErrorPolicy {
  readonly retries: number;
  readonly retryDelayMs: number;
  readonly maxRetryDelayMs: number;
  readonly skip: boolean;
  readonly deadLetter: DeadLetterHook | undefined;
}

/**
 * Applies the defaults and checks the settings.
 *
 * @param options The user's settings.
 * @returns The complete policy.
 * @throws {RangeError} If a number is negative or not an integer.
 */
export function errorPolicy(options: ErrorPolicyOptions = {}): ErrorPolicy {
  const policy = {
    retries: options.retries ?? 3,
    retryDelayMs: options.retryDelayMs ?? 1000,
    maxRetryDelayMs: options.maxRetryDelayMs ?? 30_000,
    skip: options.skip ?? false,
    deadLetter: options.deadLetter,
  };
  for (const key of ["retries", "retryDelayMs", "maxRetryDelayMs"] as const) {
    if (!Number.isInteger(policy[key]) || policy[key] < 0) {
      throw new RangeError(`onError.${key} must be an integer >= 0: got ${policy[key]}`);
    }
  }
  if (policy.deadLetter && !policy.skip) {
    throw new TypeError("onError.deadLetter is only called when onError.skip is true");
  }
  return policy;
}

/**
 * The wait before retry number `retry` (1-based).
 *
 * @param policy The policy.
 * @param retry The retry about to happen, from 1.
 * @returns Milliseconds.
 */
export function retryDelay(policy: ErrorPolicy, retry: number): number {
  return Math.min(policy.retryDelayMs * 2 ** (retry - 1), policy.maxRetryDelayMs);
}
