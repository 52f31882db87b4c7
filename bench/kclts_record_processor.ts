/**
 * The kclts per-record (kclpy-style) processor of the benchmark: the same
 * work as `kclts_processor.ts` through `RecordProcessor.processRecord`, the
 * way a kclpy user writes it: the record's text (`record.text()`) parsed as
 * JSON, folded into the checksum; a checkpoint at the batch's last record
 * after every batch; SHARD_END at shard end (automatic).
 *
 * @module
 */

import { type KinesisRecord, type ProcessRecordsInput, RecordProcessor, start } from "../mod.ts";

let checksum = 0;
let records = 0;

class Bench extends RecordProcessor {
  override processRecord(
    _data: Uint8Array,
    _partitionKey: string,
    _sequenceNumber: string,
    record: KinesisRecord,
  ): void {
    const text = record.text();
    const value = JSON.parse(text) as { id?: unknown };
    checksum = (checksum + (typeof value.id === "number" ? value.id : 0) + text.length) | 0;
    records++;
  }

  override async processRecords(input: ProcessRecordsInput): Promise<void> {
    await super.processRecords(input);
    const last = input.records[input.records.length - 1];
    if (last) await input.checkpointer.checkpoint(last);
  }

  override shardEnded(): void {
    // deno-lint-ignore no-console
    console.error(`kclts_record_processor: ${records} records, checksum ${checksum}`);
  }
}

// kclpy's defaults (a time-based checkpoint every 60 s, which a run does not reach).
await start(new Bench(), { name: "kclts-record-bench" });
