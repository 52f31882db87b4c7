/**
 * Tests of the processor in processor.ts, with kclts's test kit: the fake
 * daemon drives it through the real protocol and session, in memory, without
 * Java. Run them with `deno task test`; change them with your processor.
 *
 * @module
 */

import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { FakeDaemon } from "@kclts/kclts/testing";
import { JsonRecordProcessor } from "./processor.ts";

const shardId = "shardId-000000000000";

Deno.test("processes JSON and text records, and checkpoints every N records", async () => {
  const processor = new JsonRecordProcessor({ checkpointFreqSeconds: 0, recordsPerCheckpoint: 2 });
  await using daemon = new FakeDaemon(processor);
  await daemon.initialize({ shardId });
  const { checkpoints } = await daemon.processRecords([
    { data: { id: 1 } },
    { data: "not JSON" },
    { data: { id: 3 } },
  ]);
  // One checkpoint, at the second record; the third waits for the next rule to fire.
  deepStrictEqual(checkpoints.map((c) => [c.sequenceNumber, c.error]), [
    [daemon.delivered[1]!.sequenceNumber, null],
  ]);
});

Deno.test("checkpoints the last record at shutdown, and SHARD_END at the end of a shard", async () => {
  const processor = new JsonRecordProcessor({ checkpointFreqSeconds: 60, recordsPerCheckpoint: 0 });
  await using daemon = new FakeDaemon(processor);
  await daemon.initialize({ shardId });
  await daemon.processRecords([{ data: { id: 1 } }, { data: { id: 2 } }]);
  await daemon.shutdownRequested();
  deepStrictEqual(daemon.stored, {
    sequenceNumber: daemon.delivered[1]!.sequenceNumber,
    subSequenceNumber: 0,
  });

  const ending = new JsonRecordProcessor({ checkpointFreqSeconds: 60, recordsPerCheckpoint: 0 });
  await using second = new FakeDaemon(ending);
  await second.initialize({ shardId });
  await second.processRecords([{ data: { id: 3 } }]);
  await second.shardEnded();
  strictEqual(second.stored, "SHARD_END");
});
