/**
 * Checkpointing: one request in flight at a time, retries with backoff for
 * throttling, and a stop after the lease is lost.
 *
 * @module
 */

import { CheckpointError } from "../errors.ts";
import type { CheckpointReplyMessage, CheckpointRequestMessage } from "../protocol/types.ts";
import { isSequenceNumber } from "../protocol/codec.ts";
import { comparePositions, type SequencePosition } from "../protocol/sequence.ts";

/**
 * Stores checkpoints for the shard being processed. Passed to the handlers
 * that may checkpoint (`processRecords`, `shardEnded`, `shutdownRequested`).
 *
 * Calls are sent one at a time, in call order. A call made while no action is
 * being handled (from background work) is held and sent during the next
 * action that allows checkpoints; it fails if the lease ends first. Its
 * position is fixed when the call is made, never when it is sent.
 */
export interface Checkpointer {
  /**
   * Stores a checkpoint and resolves once the daemon has written it to the
   * lease table.
   *
   * - No argument: every record delivered **when the call is made**,
   *   including the rest of the current batch: the call is sent as the last
   *   record delivered by then, so that a call held until the next batch
   *   cannot cover that batch. Before any record was delivered it stores
   *   nothing. During `shardEnded` it stores `SHARD_END`.
   * - A sequence number (decimal string) and optional sub-sequence number, or
   *   a record (or any `{ sequenceNumber, subSequenceNumber }`): that record;
   *   processing resumes after it.
   *
   * @param sequenceNumber A decimal sequence number, or a record.
   * @param subSequenceNumber The KPL sub-sequence number. @default {0}
   * @throws {CheckpointError} If the daemon refused it (after retries for
   * `ThrottlingException` and `KinesisClientLibDependencyException`).
   * `error.leaseLost` is `true` when the lease is gone.
   * @throws {TypeError} If the sequence number is not a decimal string.
   */
  checkpoint(
    sequenceNumber?: string | SequencePosition | null,
    subSequenceNumber?: number,
  ): Promise<void>;
}

/** When and how often a refused checkpoint is sent again. */
export interface CheckpointRetryOptions {
  /** How many times to resend after `ThrottlingException` or `KinesisClientLibDependencyException`. @default {5} */
  retries?: number;
  /** The wait before the first resend, in milliseconds; it doubles each time. @default {500} */
  initialDelayMs?: number;
  /** The longest wait between resends, in milliseconds. @default {5000} */
  maxDelayMs?: number;
}

const RETRYABLE = new Set(["ThrottlingException", "KinesisClientLibDependencyException"]);

/** Sends one checkpoint request and returns the daemon's reply. */
export type CheckpointExchange = (
  request: CheckpointRequestMessage,
) => Promise<CheckpointReplyMessage>;

/** What the checkpointer reports to its owner. */
export interface CheckpointEvents {
  /** A checkpoint was stored. */
  stored?(position: SequencePosition | null): void;
  /** The daemon answered with an error (each attempt). */
  refused?(error: CheckpointError, willRetry: boolean, delayMs: number): void;
}

interface Pending {
  /** `null`: `SHARD_END` (the daemon's largest permitted value at shard end). */
  readonly position: SequencePosition | null;
  /** A no-argument call made before any record was delivered: nothing to store. */
  readonly nothing: boolean;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * The checkpointer of one child session. The session opens it while handling
 * an action that allows checkpoints and settles it before sending the status.
 */
export class ShardCheckpointer implements Checkpointer {
  readonly #retry: Required<CheckpointRetryOptions>;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #events: CheckpointEvents;
  #exchange: CheckpointExchange | null = null;
  #queue: Pending[] = [];
  #flushing: Promise<void> | null = null;
  #leaseLost: CheckpointError | null = null;
  #ended: CheckpointError | null = null;
  #refusing: CheckpointError | null = null;
  #largestDelivered: SequencePosition | null = null;
  #shardEnd = false;
  #lastStored: SequencePosition | null = null;

  /**
   * Creates the checkpointer of one session.
   *
   * @param options Retry settings, a sleep function (for tests) and event hooks.
   */
  constructor(
    options: {
      retry?: CheckpointRetryOptions;
      sleep?: (ms: number) => Promise<void>;
      events?: CheckpointEvents;
    } = {},
  ) {
    this.#retry = {
      retries: options.retry?.retries ?? 5,
      initialDelayMs: options.retry?.initialDelayMs ?? 500,
      maxDelayMs: options.retry?.maxDelayMs ?? 5000,
    };
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.#events = options.events ?? {};
  }

  /** The last position stored in the lease table by this session, if any. */
  get lastStored(): SequencePosition | null {
    return this.#lastStored;
  }

  /** `true` once the daemon answered `ShutdownException`. */
  get leaseLost(): boolean {
    return this.#leaseLost !== null;
  }

  /**
   * Records the largest position delivered: a no-argument call made from now
   * on stands for it. Call it before the batch is handed to the processor,
   * as the daemon moves its `largestPermittedCheckpointValue` before it sends
   * the batch (`ProcessTask`).
   */
  delivered(position: SequencePosition): void {
    if (!this.#largestDelivered || comparePositions(position, this.#largestDelivered) > 0) {
      this.#largestDelivered = position;
    }
  }

  /**
   * From now on a no-argument call stores `SHARD_END` (sent as a null
   * sequence number, which the daemon resolves to `SHARD_END` once the shard
   * has ended: `ShutdownTask` sets its largest permitted value so).
   */
  shardEnded(): void {
    this.#shardEnd = true;
  }

  checkpoint(
    sequenceNumber?: string | SequencePosition | null,
    subSequenceNumber?: number,
  ): Promise<void> {
    let position: SequencePosition | null;
    try {
      position = toPosition(sequenceNumber, subSequenceNumber);
    } catch (error) {
      return Promise.reject(error);
    }
    // A null sequence number would make the daemon store its largest permitted
    // value at the time it *receives* the request, which is later for a held
    // call: resolve "everything delivered" now (ShardRecordProcessorCheckpointer.checkpoint()).
    let nothing = false;
    if (position === null && !this.#shardEnd) {
      position = this.#largestDelivered;
      nothing = position === null;
    }
    const failure = this.#leaseLost ?? this.#ended ?? this.#refusing;
    if (failure) return Promise.reject(sameFailure(failure, position));
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ position, nothing, resolve, reject });
      this.#kick();
    });
  }

  /**
   * Allows checkpoints through `exchange` until {@linkcode settle}; sends the
   * requests held since the last action first.
   */
  open(exchange: CheckpointExchange): void {
    this.#refusing = null;
    this.#exchange = exchange;
    this.#kick();
  }

  /**
   * Makes calls fail at once with `reason` until the next {@linkcode open} or
   * {@linkcode hold}: used while handling actions that have no checkpointer
   * (`initialize`, `leaseLost`), so that awaiting a checkpoint there cannot
   * wait for ever.
   */
  refuse(reason: CheckpointError): void {
    this.#refusing = reason;
  }

  /** Holds calls until the next {@linkcode open} (the time between actions). */
  hold(): void {
    this.#refusing = null;
  }

  /**
   * Waits until no request is queued or in flight, then stops allowing
   * checkpoints: later calls are held for the next action.
   */
  async settle(): Promise<void> {
    while (this.#flushing) await this.#flushing;
    this.#exchange = null;
  }

  /**
   * Ends checkpointing for good (lease lost, shard ended, or the daemon gone):
   * held and later calls fail with `reason`.
   */
  end(reason: CheckpointError): void {
    this.#ended ??= reason;
    const queue = this.#queue;
    this.#queue = [];
    for (const pending of queue) pending.reject(sameFailure(reason, pending.position));
  }

  #kick(): void {
    if (this.#flushing || !this.#exchange || this.#queue.length === 0) return;
    this.#flushing = this.#flush().finally(() => {
      this.#flushing = null;
      this.#kick();
    });
  }

  async #flush(): Promise<void> {
    while (this.#exchange && this.#queue.length > 0) {
      const pending = this.#queue.shift() as Pending;
      const failure = this.#leaseLost ?? this.#ended;
      if (failure) {
        pending.reject(sameFailure(failure, pending.position));
        continue;
      }
      if (pending.nothing) {
        pending.resolve();
        continue;
      }
      try {
        await this.#send(this.#exchange, pending.position);
        pending.resolve();
      } catch (error) {
        pending.reject(error);
      }
    }
  }

  async #send(exchange: CheckpointExchange, position: SequencePosition | null): Promise<void> {
    const request: CheckpointRequestMessage = {
      action: "checkpoint",
      sequenceNumber: position?.sequenceNumber ?? null,
      subSequenceNumber: position?.subSequenceNumber ?? null,
    };
    for (let attempt = 1;; attempt++) {
      const reply = await exchange(request);
      if (reply.error === null) {
        const stored = position ?? this.#largestDelivered;
        if (stored && (!this.#lastStored || comparePositions(stored, this.#lastStored) > 0)) {
          this.#lastStored = stored;
        }
        this.#events.stored?.(position);
        return;
      }
      const error = new CheckpointError(reply.error, {
        sequenceNumber: request.sequenceNumber,
        subSequenceNumber: request.subSequenceNumber,
        attempts: attempt,
      });
      const retry = RETRYABLE.has(reply.error) && attempt <= this.#retry.retries;
      const delay = Math.min(
        this.#retry.initialDelayMs * 2 ** (attempt - 1),
        this.#retry.maxDelayMs,
      );
      this.#events.refused?.(error, retry, delay);
      if (error.leaseLost) {
        this.#leaseLost = error;
        this.end(error);
      }
      if (!retry) throw error;
      await this.#sleep(delay);
    }
  }
}

function toPosition(
  sequenceNumber: string | SequencePosition | null | undefined,
  subSequenceNumber: number | undefined,
): SequencePosition | null {
  if (sequenceNumber === undefined || sequenceNumber === null) {
    if (subSequenceNumber !== undefined) {
      throw new TypeError("Cannot checkpoint: a sub-sequence number needs a sequence number");
    }
    return null;
  }
  const position = typeof sequenceNumber === "string"
    ? { sequenceNumber, subSequenceNumber: subSequenceNumber ?? 0 }
    : {
      sequenceNumber: sequenceNumber.sequenceNumber,
      subSequenceNumber: subSequenceNumber ?? sequenceNumber.subSequenceNumber ?? 0,
    };
  if (typeof position.sequenceNumber !== "string" || !isSequenceNumber(position.sequenceNumber)) {
    throw new TypeError(
      `Cannot checkpoint: sequence number ${
        JSON.stringify(position.sequenceNumber)
      } is not a decimal string`,
    );
  }
  if (!Number.isSafeInteger(position.subSequenceNumber) || position.subSequenceNumber < 0) {
    throw new TypeError(
      `Cannot checkpoint: sub-sequence number ${position.subSequenceNumber} is not a non-negative integer`,
    );
  }
  return position;
}

function sameFailure(reason: CheckpointError, position: SequencePosition | null): CheckpointError {
  return new CheckpointError(reason.name, {
    sequenceNumber: position?.sequenceNumber ?? null,
    subSequenceNumber: position?.subSequenceNumber ?? null,
    attempts: 0,
    detail: reason.detail ?? `the lease is lost (an earlier checkpoint got ${reason.name})`,
  });
}
