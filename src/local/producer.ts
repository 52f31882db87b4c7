/**
 * A sample producer for local stacks: puts JSON orders into a Kinesis stream
 * at a steady rate until stopped. It is the `producer` service of
 * docker-compose.yml and the record source of `deno task demo`.
 *
 * It talks to emulators only (kinesis-mock, LocalStack): its requests carry a
 * dummy signature, which AWS refuses. Logs go to stderr; SIGTERM and SIGINT
 * stop it after the request in flight, with exit code 0.
 *
 * ```sh
 * KINESIS_ENDPOINT=http://127.0.0.1:4568 STREAM_NAME=orders \
 *   deno run --allow-net --allow-env src/local/producer.ts
 * ```
 *
 * Environment: `KINESIS_ENDPOINT` (required), `STREAM_NAME` (default
 * `orders`), `RECORDS_PER_SECOND` (default 10), `RECORD_COUNT` (default 0:
 * until stopped), `STREAM_WAIT_SECONDS` (how long to wait for the stream to
 * be ACTIVE; default 120).
 *
 * @module
 */

import { putRecords, waitForStreamActive } from "./emulators.ts";
import { logToStderr } from "./run.ts";

/** The JSON body of a sample record. */
export interface SampleOrder {
  /** The record's number in this run, from 0. */
  n: number;
  /** An order id. */
  id: string;
  /** One of 16 customers; also the partition key. */
  customer: string;
  /** An amount, deterministic in `n`. */
  amount: number;
  /** When the record was made (ISO 8601). */
  at: string;
}

/** A record as it was put. */
export interface ProducedRecord {
  /** Its number in this run. */
  n: number;
  /** The partition key. */
  partitionKey: string;
  /** The decoded body. */
  value: SampleOrder;
  /** The shard that stored it. */
  shardId: string;
  /** Its sequence number. */
  sequenceNumber: string;
}

/**
 * Makes the sample record number `n`: an order whose partition key is its
 * order id, so records spread over every shard.
 *
 * @param n The record's number.
 * @param now The time to stamp.
 * @returns The record body and partition key.
 */
export function sampleRecord(n: number, now: Date = new Date()): {
  value: SampleOrder;
  partitionKey: string;
} {
  const id = `order-${String(n).padStart(6, "0")}`;
  const value: SampleOrder = {
    n,
    id,
    customer: `customer-${(n * 7) % 16}`,
    amount: ((n * 37) % 10_000) / 100,
    at: now.toISOString(),
  };
  return { value, partitionKey: id };
}

/** Options of {@linkcode produce}. */
export interface ProduceOptions {
  /** The Kinesis endpoint (an emulator). */
  endpoint: string;
  /** The stream. */
  stream: string;
  /** Records per second. @default {10} */
  ratePerSecond?: number;
  /** Stop after this many records; 0 or absent: until `signal` aborts. */
  count?: number;
  /** Number of the first record. @default {0} */
  first?: number;
  /** Stops production (after the request in flight). */
  signal?: AbortSignal;
  /** Called with each batch once Kinesis has stored it. */
  onPut?: (records: readonly ProducedRecord[]) => void;
  /** How long to wait for the stream to be ACTIVE, in milliseconds. @default {120000} */
  streamWaitMs?: number;
  /** Where progress goes. @default {a line on stderr} */
  log?: (message: string) => void;
  /** How often progress is logged, in milliseconds. @default {10000} */
  logEveryMs?: number;
}

/** What {@linkcode produce} did. */
export interface ProduceSummary {
  /** Records stored. */
  put: number;
  /** Requests that failed (and were retried). */
  failures: number;
  /** How long it ran, in milliseconds. */
  elapsedMs: number;
}

function stderrLog(message: string): void {
  logToStderr("producer", message);
}

/** Sleeps, or less if the signal aborts; never leaves a timer behind. */
function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

async function waitForStream(options: ProduceOptions, log: (message: string) => void) {
  const deadline = Date.now() + (options.streamWaitMs ?? 120_000);
  let announced = false;
  while (!options.signal?.aborted) {
    try {
      await waitForStreamActive(options.endpoint, options.stream, 2_000);
      return;
    } catch (error) {
      if (Date.now() >= deadline) {
        throw new Error(
          `stream "${options.stream}" is not ACTIVE at ${options.endpoint}: ${
            (error as Error).message
          }`,
          { cause: error },
        );
      }
      if (!announced) log(`waiting for stream "${options.stream}" at ${options.endpoint}`);
      announced = true;
      await pause(1_000, options.signal);
    }
  }
}

/**
 * Puts sample records ({@linkcode sampleRecord}) into a stream at a steady
 * rate, in batches of at most 500, until `count` records are stored or
 * `signal` aborts. Waits first until the stream is ACTIVE. A failed request
 * is retried with back-off (1 s doubling to 10 s) and the pace restarts from
 * there, so an outage is not followed by a burst.
 *
 * @param options Endpoint, stream, rate, limits and callbacks.
 * @returns How many records were stored.
 * @throws {Error} If the stream does not become ACTIVE in time.
 */
export async function produce(options: ProduceOptions): Promise<ProduceSummary> {
  const rate = options.ratePerSecond ?? 10;
  if (!(rate > 0) || !Number.isFinite(rate)) {
    throw new RangeError(`ratePerSecond must be a positive number: got ${rate}`);
  }
  const count = options.count ?? 0;
  const limit = count > 0 ? count : Infinity;
  const first = options.first ?? 0;
  const log = options.log ?? stderrLog;
  const logEvery = options.logEveryMs ?? 10_000;
  const tick = Math.min(1_000, Math.max(50, 1_000 / rate));
  const began = performance.now();
  await waitForStream(options, log);
  let start = performance.now();
  let put = 0;
  let failures = 0;
  let backoff = 1_000;
  let lastLog = start;
  let putAtLastLog = 0;
  log(`putting ${rate} record(s)/s into "${options.stream}" at ${options.endpoint}`);
  while (!options.signal?.aborted && put < limit) {
    const due = Math.min(limit, Math.floor(((performance.now() - start) * rate) / 1_000) + 1);
    const size = Math.min(500, due - put);
    if (size <= 0) {
      await pause(tick, options.signal);
      continue;
    }
    const now = new Date();
    const batch = Array.from({ length: size }, (_, i) => sampleRecord(first + put + i, now));
    try {
      const results = await putRecords(
        options.endpoint,
        options.stream,
        batch.map(({ value, partitionKey }) => ({ data: JSON.stringify(value), partitionKey })),
      );
      options.onPut?.(batch.map(({ value, partitionKey }, i) => ({
        n: value.n,
        partitionKey,
        value,
        shardId: results[i]!.shardId,
        sequenceNumber: results[i]!.sequenceNumber,
      })));
      put += size;
      backoff = 1_000;
    } catch (error) {
      failures++;
      log(`put failed (retrying in ${backoff / 1_000} s): ${(error as Error).message}`);
      await pause(backoff, options.signal);
      backoff = Math.min(10_000, backoff * 2);
      start = performance.now() - (put * 1_000) / rate;
      continue;
    }
    const now2 = performance.now();
    if (now2 - lastLog >= logEvery) {
      const perSecond = ((put - putAtLastLog) * 1_000) / (now2 - lastLog);
      log(`put ${put} records so far (${perSecond.toFixed(1)}/s)`);
      lastLog = now2;
      putAtLastLog = put;
    }
  }
  const elapsedMs = performance.now() - began;
  log(`stopped after ${put} records (${failures} failed request(s))`);
  return { put, failures, elapsedMs };
}

/** The producer's settings, from the environment. */
export interface ProducerConfig {
  /** `KINESIS_ENDPOINT`. */
  endpoint: string;
  /** `STREAM_NAME`. */
  stream: string;
  /** `RECORDS_PER_SECOND`. */
  ratePerSecond: number;
  /** `RECORD_COUNT` (0: until stopped). */
  count: number;
  /** `STREAM_WAIT_SECONDS` in milliseconds. */
  streamWaitMs: number;
}

function positive(
  env: Readonly<Record<string, string | undefined>>,
  name: string,
  fallback: number,
) {
  const raw = env[name]?.trim() || String(fallback);
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`${name} must be a number >= 0: got "${raw}"`);
  }
  return value;
}

/**
 * Reads the producer's settings from environment variables.
 *
 * @param env The environment.
 * @returns The settings.
 * @throws {RangeError} If a value is missing or malformed.
 */
export function producerConfig(env: Readonly<Record<string, string | undefined>>): ProducerConfig {
  const endpoint = env.KINESIS_ENDPOINT?.trim() ?? "";
  if (!/^https?:\/\/[^\s/]+/.test(endpoint)) {
    throw new RangeError(
      `KINESIS_ENDPOINT must be the http(s) URL of a Kinesis emulator: got "${endpoint}"`,
    );
  }
  const ratePerSecond = positive(env, "RECORDS_PER_SECOND", 10);
  if (ratePerSecond === 0) throw new RangeError("RECORDS_PER_SECOND must be more than 0");
  const count = positive(env, "RECORD_COUNT", 0);
  if (!Number.isInteger(count)) throw new RangeError(`RECORD_COUNT must be a whole number`);
  return {
    endpoint,
    stream: env.STREAM_NAME?.trim() || "orders",
    ratePerSecond,
    count,
    streamWaitMs: positive(env, "STREAM_WAIT_SECONDS", 120) * 1_000,
  };
}

/**
 * Runs the producer with settings from the environment until SIGTERM/SIGINT
 * (or `RECORD_COUNT` records).
 *
 * @param args Command-line arguments (`--help` only).
 * @param env The environment.
 * @returns The exit code: 0 when stopped or done, 1 on failure, 2 on bad settings.
 */
export async function main(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    stderrLog(
      "puts sample JSON records into a Kinesis emulator's stream until stopped.\n" +
        "Environment: KINESIS_ENDPOINT (required), STREAM_NAME (orders), RECORDS_PER_SECOND (10),\n" +
        "RECORD_COUNT (0: until stopped), STREAM_WAIT_SECONDS (120).",
    );
    return 0;
  }
  let config: ProducerConfig;
  try {
    config = producerConfig(env);
  } catch (error) {
    stderrLog(`error: ${(error as Error).message}`);
    return 2;
  }
  const controller = new AbortController();
  const stop = () => controller.abort();
  const signals: Deno.Signal[] = ["SIGTERM", "SIGINT"];
  for (const signal of signals) Deno.addSignalListener(signal, stop);
  try {
    await produce({ ...config, signal: controller.signal });
    return 0;
  } catch (error) {
    stderrLog(`error: ${(error as Error).message}`);
    return 1;
  } finally {
    for (const signal of signals) Deno.removeSignalListener(signal, stop);
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args, Deno.env.toObject()));
}
