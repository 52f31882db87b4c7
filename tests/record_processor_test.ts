import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import {
  type KinesisRecord,
  ProcessingError,
  type ProcessRecordResult,
  RecordProcessor,
  type RecordProcessorOptions,
} from "../mod.ts";
import { FakeDaemon, type FakeRecord } from "../testing.ts";

type Handler = (
  data: Uint8Array,
  partitionKey: string,
  sequenceNumber: string,
  record: KinesisRecord,
) => ProcessRecordResult | Promise<ProcessRecordResult>;

class Probe extends RecordProcessor {
  readonly calls: string[] = [];
  constructor(options: RecordProcessorOptions, readonly handler: Handler = () => {}) {
    super(options);
  }
  override processRecord(
    data: Uint8Array,
    partitionKey: string,
    sequenceNumber: string,
    record: KinesisRecord,
  ): ProcessRecordResult | Promise<ProcessRecordResult> {
    this.calls.push(sequenceNumber);
    return this.handler(data, partitionKey, sequenceNumber, record);
  }
}

function records(from: number, count: number): FakeRecord[] {
  return Array.from(
    { length: count },
    (_, i) => ({ sequenceNumber: String(from + i), data: `r${from + i}` }),
  );
}

const seqs = (result: { checkpoints: readonly { sequenceNumber: string | null }[] }) =>
  result.checkpoints.map((c) => c.sequenceNumber);

Deno.test("RecordProcessor passes decoded data, partition key and sequence number", async () => {
  const seen: unknown[] = [];
  const probe = new Probe({ checkpointFreqSeconds: 0 }, (data, key, seq, record) => {
    seen.push([
      new TextDecoder().decode(data),
      key,
      seq,
      record.subSequenceNumber,
      record.approximateArrivalTimestamp,
    ]);
  });
  await using daemon = new FakeDaemon(probe);
  await daemon.initialize();
  await daemon.processRecords([
    {
      data: "hello",
      partitionKey: "k",
      sequenceNumber: "49590338271490256608559692538361571095921575989136588898",
      subSequenceNumber: 3,
      approximateArrivalTimestamp: 99,
    },
  ]);
  deepStrictEqual(seen, [[
    "hello",
    "k",
    "49590338271490256608559692538361571095921575989136588898",
    3,
    99,
  ]]);
});

Deno.test("RecordProcessor checkpoints at a record whose processRecord returned true", async () => {
  const probe = new Probe(
    { checkpointFreqSeconds: 0 },
    (_d, _k, seq) => seq === "3" || seq === "5",
  );
  await using daemon = new FakeDaemon(probe);
  await daemon.initialize();
  deepStrictEqual(seqs(await daemon.processRecords(records(1, 6))), ["3", "5"]);
});

Deno.test("RecordProcessor awaits an async processRecord and its true", async () => {
  const probe = new Probe({ checkpointFreqSeconds: 0 }, async (_d, _k, seq) => {
    await new Promise((resolve) => setTimeout(resolve, 1));
    return seq === "2";
  });
  await using daemon = new FakeDaemon(probe);
  await daemon.initialize();
  deepStrictEqual(seqs(await daemon.processRecords(records(1, 3))), ["2"]);
});

Deno.test("RecordProcessor checkpoints every recordsPerCheckpoint records, across batches", async () => {
  const probe = new Probe({ checkpointFreqSeconds: 0, recordsPerCheckpoint: 4 });
  await using daemon = new FakeDaemon(probe);
  await daemon.initialize();
  deepStrictEqual(seqs(await daemon.processRecords(records(1, 10))), ["4", "8"]);
  deepStrictEqual(seqs(await daemon.processRecords(records(11, 3))), ["12"]);
});

Deno.test("RecordProcessor checkpoints when checkpointFreqSeconds have passed", async () => {
  let now = 1_000_000;
  const probe = new Probe({ checkpointFreqSeconds: 60, now: () => now });
  await using daemon = new FakeDaemon(probe);
  await daemon.initialize();
  deepStrictEqual(seqs(await daemon.processRecords(records(1, 5))), []);
  now += 59_000;
  deepStrictEqual(seqs(await daemon.processRecords(records(6, 2))), []);
  now += 2_000;
  // Due at the first record processed after 60 s.
  deepStrictEqual(seqs(await daemon.processRecords(records(8, 3))), ["8"]);
  now += 30_000;
  deepStrictEqual(seqs(await daemon.processRecords(records(11, 1))), []);
});

Deno.test("RecordProcessor reads the clock at every record 1 ms or slower, and seldom for fast ones", async (t) => {
  await t.step("slow records: each one is checked", async () => {
    let now = 0;
    let reads = 0;
    const clock = () => (reads++, now);
    // Each record takes one second.
    const probe = new Probe({ checkpointFreqSeconds: 5, now: clock }, () => void (now += 1000));
    await using daemon = new FakeDaemon(probe);
    await daemon.initialize();
    reads = 0;
    deepStrictEqual(seqs(await daemon.processRecords(records(1, 12))), ["5", "10"]);
    strictEqual(
      reads,
      12 + 2,
      "one per record, one per checkpoint (the policy restarts its clock)",
    );
  });
  await t.step("fast records: the clock is read about every 256 records", async () => {
    let now = 0;
    let reads = 0;
    const clock = () => (reads++, now);
    // Record 1000 takes 61 s; the others no time at all.
    const probe = new Probe(
      { checkpointFreqSeconds: 60, now: clock },
      (_d, _k, seq) => void (seq === "1000" && (now += 61_000)),
    );
    await using daemon = new FakeDaemon(probe);
    await daemon.initialize();
    reads = 0;
    const [at, ...rest] = seqs(await daemon.processRecords(records(1, 1600)));
    ok(Number(at) >= 1000 && Number(at) <= 1256, `checkpointed at ${at}`);
    deepStrictEqual(rest, []);
    ok(reads < 40, `${reads} clock reads for 1,600 records`);
  });
});

Deno.test("RecordProcessor checkpoints the tail on an empty batch once the time has passed", async () => {
  let now = 0;
  const probe = new Probe({ checkpointFreqSeconds: 5, now: () => now });
  await using daemon = new FakeDaemon(probe);
  await daemon.initialize();
  deepStrictEqual(seqs(await daemon.processRecords(records(1, 3))), []);
  deepStrictEqual(seqs(await daemon.processRecords([])), [], "not yet due");
  now = 6_000;
  deepStrictEqual(seqs(await daemon.processRecords([])), ["3"]);
  now = 20_000;
  deepStrictEqual(seqs(await daemon.processRecords([])), [], "nothing new to checkpoint");
});

Deno.test("RecordProcessor combines time and count (kclpy ignored the count when the time was set)", async () => {
  let now = 0;
  const probe = new Probe({ checkpointFreqSeconds: 60, recordsPerCheckpoint: 3, now: () => now });
  await using daemon = new FakeDaemon(probe);
  await daemon.initialize();
  deepStrictEqual(seqs(await daemon.processRecords(records(1, 7))), ["3", "6"]);
  now += 61_000;
  deepStrictEqual(seqs(await daemon.processRecords(records(8, 1))), ["8"], "time");
  deepStrictEqual(
    seqs(await daemon.processRecords(records(9, 3))),
    ["11"],
    "count restarts after the time checkpoint",
  );
});

Deno.test("RecordProcessor with both rules at 0 checkpoints only when asked", async () => {
  let now = 0;
  const probe = new Probe(
    { checkpointFreqSeconds: 0, recordsPerCheckpoint: 0, now: () => now },
    (_d, _k, seq) => seq === "50",
  );
  await using daemon = new FakeDaemon(probe);
  await daemon.initialize();
  now += 10_000_000;
  deepStrictEqual(seqs(await daemon.processRecords(records(1, 100))), ["50"]);
});

Deno.test("RecordProcessor defaults: every 60 seconds, no count", async () => {
  let now = 0;
  const probe = new Probe({ now: () => now });
  await using daemon = new FakeDaemon(probe);
  await daemon.initialize();
  deepStrictEqual(seqs(await daemon.processRecords(records(1, 1000))), []);
  now = 60_000;
  deepStrictEqual(seqs(await daemon.processRecords(records(1001, 1))), ["1001"]);
});

Deno.test("RecordProcessor checkpoints SHARD_END at shard end and the last record at shutdown", async (t) => {
  await t.step("shard end", async () => {
    const probe = new Probe({ checkpointFreqSeconds: 0 });
    await using daemon = new FakeDaemon(probe);
    await daemon.initialize();
    await daemon.processRecords(records(1, 3));
    deepStrictEqual(seqs(await daemon.shardEnded()), [null]);
    strictEqual(daemon.stored, "SHARD_END");
  });
  await t.step("shutdownRequested", async () => {
    const probe = new Probe({ checkpointFreqSeconds: 0, recordsPerCheckpoint: 2 });
    await using daemon = new FakeDaemon(probe);
    await daemon.initialize();
    deepStrictEqual(seqs(await daemon.processRecords(records(1, 3))), ["2"]);
    deepStrictEqual(seqs(await daemon.shutdownRequested()), ["3"]);
    deepStrictEqual(seqs(await daemon.leaseLost()), []);
  });
});

Deno.test("RecordProcessor never checkpoints past a failing record, and exits after its retries", async () => {
  const probe = new Probe({ checkpointFreqSeconds: 0, recordsPerCheckpoint: 1 }, (_d, _k, seq) => {
    if (seq === "3") throw new Error("cannot handle 3");
  });
  const daemon = new FakeDaemon(probe, { onError: { retries: 2 } });
  await daemon.initialize();
  await rejects(daemon.processRecords(records(1, 5)));
  const { error } = await daemon.close();
  ok(error instanceof ProcessingError);
  strictEqual(error.record?.sequenceNumber, "3");
  ok(error.message.includes("cannot handle 3"));
  deepStrictEqual(daemon.checkpoints.map((c) => c.sequenceNumber), ["1", "2"]);
  // Records 1 and 2 once, record 3 three times, 4 and 5 never.
  deepStrictEqual(probe.calls, ["1", "2", "3", "3", "3"]);
  strictEqual(
    daemon.stored && typeof daemon.stored === "object" && daemon.stored.sequenceNumber,
    "2",
  );
});

Deno.test("RecordProcessor retries a record that fails once, without redoing earlier records", async () => {
  let failures = 1;
  const probe = new Probe({ checkpointFreqSeconds: 0 }, (_d, _k, seq) => {
    if (seq === "2" && failures-- > 0) throw new Error("transient");
  });
  await using daemon = new FakeDaemon(probe);
  await daemon.initialize();
  await daemon.processRecords(records(1, 3));
  deepStrictEqual(probe.calls, ["1", "2", "2", "3"]);
});

Deno.test("RecordProcessor keeps going when a checkpoint is refused, and stops on a lost lease", async (t) => {
  await t.step("refused", async () => {
    const probe = new Probe({ checkpointFreqSeconds: 0, recordsPerCheckpoint: 1 });
    await using daemon = new FakeDaemon(probe, { checkpointErrors: ["InvalidStateException"] });
    await daemon.initialize();
    const result = await daemon.processRecords(records(1, 2));
    deepStrictEqual(result.checkpoints.map((c) => [c.sequenceNumber, c.error]), [
      ["1", "InvalidStateException"],
      ["2", null],
    ]);
    deepStrictEqual(probe.calls, ["1", "2"]);
  });
  await t.step("lease lost", async () => {
    const probe = new Probe({ checkpointFreqSeconds: 0, recordsPerCheckpoint: 1 });
    await using daemon = new FakeDaemon(probe, { checkpointErrors: ["ShutdownException"] });
    await daemon.initialize();
    await daemon.processRecords(records(1, 3));
    deepStrictEqual(probe.calls, ["1"], "the rest is left to the next owner");
    await daemon.leaseLost();
    strictEqual((await daemon.close()).error, undefined);
  });
});

Deno.test("RecordProcessor lifecycle hooks can be overridden", async () => {
  const events: string[] = [];
  class Hooks extends RecordProcessor {
    override initialize({ shardId }: { shardId: string }) {
      events.push(`init ${shardId}`);
    }
    override processRecord() {}
    override shardEnded() {
      events.push("ended");
    }
  }
  await using daemon = new FakeDaemon(new Hooks({ checkpointFreqSeconds: 0 }));
  await daemon.initialize({ shardId: "shardId-000000000002" });
  await daemon.processRecords(records(1, 1));
  deepStrictEqual(seqs(await daemon.shardEnded()), [null]);
  deepStrictEqual(events, ["init shardId-000000000002", "ended"]);
});

Deno.test("RecordProcessor rejects bad checkpoint settings", () => {
  for (
    const options of [{ checkpointFreqSeconds: -1 }, { recordsPerCheckpoint: 1.5 }, {
      checkpointFreqSeconds: NaN,
    }]
  ) {
    try {
      new Probe(options);
      ok(false, JSON.stringify(options));
    } catch (error) {
      ok(error instanceof RangeError);
    }
  }
});
