/**
 * The kclts processor of the benchmark: the batch-level API doing the same
 * work as the aws-kcl baseline: every record is decoded (base64 -> bytes ->
 * UTF-8 text) and parsed as JSON, folded into a checksum; a checkpoint at the
 * batch's last record after every batch; SHARD_END at shard end (automatic).
 * `kclts_processor.ts hub --socket PATH` runs it as a hub (bench/hub.ts).
 *
 * @module
 */

import { type BatchProcessor, start } from "../mod.ts";

// A factory: each lease gets its own counters (in hub mode one process serves every lease).
await start(() => {
  let checksum = 0;
  let records = 0;
  const processor: BatchProcessor = {
    async processRecords(input) {
      const batch = input.records;
      for (let i = 0; i < batch.length; i++) {
        const record = batch[i]!;
        const text = record.text();
        const value = JSON.parse(text) as { id?: unknown };
        checksum = (checksum + (typeof value.id === "number" ? value.id : 0) + text.length) | 0;
        records++;
      }
      const last = batch[batch.length - 1];
      if (last) await input.checkpointer.checkpoint(last);
    },
    shardEnded() {
      // deno-lint-ignore no-console
      console.error(`kclts_processor: ${records} records, checksum ${checksum}`);
    },
  };
  return processor;
}, { name: "kclts-bench" });
