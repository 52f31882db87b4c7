/**
 * The processor template: the file to edit. It is a complete Kinesis shard
 * processor; `deno task compile` turns it into one binary, and that binary is
 * both the child the KCL daemon spawns (no arguments) and the launcher of the
 * daemon (`launch`).
 *
 * This one decodes JSON records and logs a summary of each batch. Replace the
 * body of `processRecord` with your own work.
 *
 * Run it: `deno task processor` (child mode, fed by a daemon), or the whole
 * pipeline locally: `deno task demo`. Its tests: processor_test.ts
 * (`deno task test`).
 *
 * @module
 */

import {
  envCount,
  getLogger,
  type InitializeInput,
  type KinesisRecord,
  type ProcessRecordsInput,
  RecordProcessor,
  start,
} from "@kclts/kclts";

// A LogTape logger, loaded after the start-up handshake. Logs go to stderr
// (configured by start(); level from KCLTS_LOG_LEVEL), never stdout.
const log = getLogger(["processor"]);

/** Decodes each record as JSON (or text) and logs what it saw. */
export class JsonRecordProcessor extends RecordProcessor {
  #shardId = "";
  #records = 0;
  #bytes = 0;

  override initialize({ shardId, sequenceNumber }: InitializeInput): void {
    this.#shardId = shardId;
    // console.log is safe here: kclts sends it to stderr, stdout is the protocol.
    // deno-lint-ignore no-console
    console.log(`Processing ${shardId} from ${sequenceNumber}`);
  }

  override processRecord(
    data: Uint8Array,
    partitionKey: string,
    sequenceNumber: string,
    record: KinesisRecord,
  ): boolean {
    const text = record.text();
    let value: unknown = text;
    try {
      value = JSON.parse(text);
    } catch {
      // Not JSON: keep the text.
    }
    this.#records++;
    this.#bytes += data.length;
    log.debug("Record {sequenceNumber} {partitionKey} {value}", {
      shardId: this.#shardId,
      sequenceNumber,
      subSequenceNumber: record.subSequenceNumber,
      partitionKey,
      value,
    });
    // Return true to checkpoint at this record now; here the options below decide.
    return false;
  }

  override async processRecords(input: ProcessRecordsInput): Promise<void> {
    await super.processRecords(input);
    const last = input.records.at(-1);
    if (!last) return; // an empty batch: the stream is quiet
    log.info(
      "Processed {count} records ({total} so far, {bytes} bytes) up to {last}, {behind} ms behind",
      {
        shardId: this.#shardId,
        count: input.records.length,
        total: this.#records,
        bytes: this.#bytes,
        last: last.sequenceNumber,
        behind: input.millisBehindLatest ?? "?",
      },
    );
  }
}

// Read once. A bad value stops `launch` and `doctor` before anything starts, and the child
// before its session.
const options = {
  // Both rules combine; 0 turns one off. kclpy's names and defaults.
  checkpointFreqSeconds: envCount("CHECKPOINT_FREQ_SECONDS", 60),
  recordsPerCheckpoint: envCount("RECORDS_PER_CHECKPOINT", 0),
};

// A factory: a new processor per shard (hub mode serves every shard in one process). Run as a
// program (by the daemon, or with `launch`); imported by processor_test.ts, it only exports.
if (import.meta.main) await start(() => new JsonRecordProcessor(options));
