/*
 * Baseline record processor for the kclts benchmark, written against the official Node.js client
 * `aws-kcl` 2.3.2 (v2 processor interface). It does the same work as the kclts and raw Deno
 * processors: for every record, base64 -> bytes -> UTF-8 text -> JSON.parse, folded into a checksum
 * so V8 cannot drop the work; a checkpoint at the batch's last sequence number after every batch;
 * a checkpoint with no sequence number (null = SHARD_END) on shardEnded.
 *
 * Run: node bench/baseline/processor.js   (after `npm ci` in bench/baseline)
 * Only aws-kcl writes to STDOUT; this file logs to STDERR only.
 */
"use strict";

const kcl = require("aws-kcl");

let checksum = 0;
let records = 0;

function fail(message) {
  process.stderr.write(`baseline processor: ${message}\n`);
  process.exit(1);
}

const recordProcessor = {
  initialize(_initializeInput, completeCallback) {
    completeCallback();
  },

  processRecords(processRecordsInput, completeCallback) {
    const batch = processRecordsInput.records;
    if (!batch || batch.length === 0) {
      completeCallback();
      return;
    }
    for (let i = 0; i < batch.length; i++) {
      const data = batch[i].data;
      if (data === null || data === undefined) continue;
      const text = Buffer.from(data, "base64").toString("utf8");
      const value = JSON.parse(text);
      checksum = (checksum + (typeof value.id === "number" ? value.id : 0) + text.length) | 0;
      records++;
    }
    const lastSequenceNumber = batch[batch.length - 1].sequenceNumber;
    // aws-kcl sends {"action":"checkpoint","sequenceNumber":...} and calls back with
    // (error, sequenceNumber) when the daemon's checkpoint response line arrives.
    processRecordsInput.checkpointer.checkpoint(lastSequenceNumber, (err) => {
      if (err) fail(`checkpoint at ${lastSequenceNumber} failed: ${err}`);
      completeCallback();
    });
  },

  leaseLost(_leaseLostInput, completeCallback) {
    completeCallback();
  },

  shardEnded(shardEndedInput, completeCallback) {
    // No sequence number: aws-kcl sends "sequenceNumber":null, i.e. checkpoint at SHARD_END.
    shardEndedInput.checkpointer.checkpoint((err) => {
      if (err) fail(`checkpoint at shard end failed: ${err}`);
      completeCallback();
    });
  },

  shutdownRequested(shutdownRequestedInput, completeCallback) {
    shutdownRequestedInput.checkpointer.checkpoint((err) => {
      if (err) process.stderr.write(`baseline processor: checkpoint failed: ${err}\n`);
      completeCallback();
    });
  },
};

process.on("exit", () => {
  process.stderr.write(`baseline processor: ${records} records, checksum ${checksum}\n`);
});

kcl(recordProcessor).run();
