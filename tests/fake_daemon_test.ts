import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";

import { FakeDaemon } from "../testing.ts";

Deno.test("FakeDaemon applies the daemon's checkpoint rules", async () => {
  const requests: (string | null)[] = ["9", "3", "2", null];
  const results: (string | null)[] = [];
  await using daemon = new FakeDaemon({
    async processRecords({ checkpointer }) {
      for (const seq of requests) {
        try {
          await checkpointer.checkpoint(seq ?? undefined);
          results.push(null);
        } catch (error) {
          results.push((error as Error).name);
        }
      }
    },
  });
  await daemon.initialize();
  await daemon.processRecords([{ sequenceNumber: "1" }, { sequenceNumber: "2" }, {
    sequenceNumber: "3",
  }]);
  // 9: beyond what was delivered; 3: fine; 2: before the last checkpoint; null: the latest.
  deepStrictEqual(results, ["IllegalArgumentException", null, "IllegalArgumentException", null]);
  deepStrictEqual(daemon.stored, { sequenceNumber: "3", subSequenceNumber: 0 });
});

Deno.test("FakeDaemon records the transcript and the delivered records", async () => {
  await using daemon = new FakeDaemon({ processRecords() {} });
  await daemon.initialize({ shardId: "shardId-000000000003", sequenceNumber: "100" });
  await daemon.processRecords([{ data: { a: 1 }, partitionKey: "p" }]);
  strictEqual(
    daemon.delivered[0]?.sequenceNumber,
    "101",
    "numbering continues after the checkpoint",
  );
  strictEqual(atob(daemon.delivered[0]?.data ?? ""), '{"a":1}');
  deepStrictEqual(daemon.transcript.map((l) => l.dir), ["in", "out", "in", "out"]);
  ok(
    daemon.transcript[0]?.line.startsWith(
      '{"action":"initialize","shardId":"shardId-000000000003"',
    ),
  );
});

Deno.test("FakeDaemon surfaces the session's failure to the waiting action", async () => {
  const daemon = new FakeDaemon({
    processRecords() {
      throw new Error("boom");
    },
  }, { onError: { retries: 0 } });
  await daemon.initialize();
  await rejects(
    daemon.processRecords([{}]),
    /session ended while the daemon waited for its answer to processRecords: processRecords failed/,
  );
  const { error } = await daemon.close();
  ok(error instanceof Error);
});

Deno.test("FakeDaemon stores SHARD_END for an explicit checkpoint at the last record during shardEnded", async () => {
  let storedAfterExplicit: unknown;
  const holder: { daemon?: FakeDaemon } = {};
  await using daemon = new FakeDaemon({
    processRecords() {},
    async shardEnded({ checkpointer }) {
      await checkpointer.checkpoint("2");
      storedAfterExplicit = holder.daemon?.stored;
    },
  });
  holder.daemon = daemon;
  await daemon.initialize();
  await daemon.processRecords([{ sequenceNumber: "1" }, { sequenceNumber: "2" }]);
  const { checkpoints } = await daemon.shardEnded();
  deepStrictEqual(checkpoints.map((c) => [c.sequenceNumber, c.error]), [["2", null], [null, null]]);
  strictEqual(storedAfterExplicit, "SHARD_END");
  strictEqual(daemon.stored, "SHARD_END");
});
