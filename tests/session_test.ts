import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import {
  type BatchProcessor,
  type Checkpointer,
  CheckpointError,
  type KinesisRecord,
  ProcessingError,
  ProtocolError,
  RecordFailure,
  run,
} from "../mod.ts";
import { FakeDaemon } from "../testing.ts";
import { INITIALIZE, memoryPipe, processRecordsLine } from "./_util.ts";

const noop: BatchProcessor = { processRecords() {} };

Deno.test("run() answers each message with exactly one status naming it", async () => {
  await using daemon = new FakeDaemon(noop);
  await daemon.initialize();
  await daemon.processRecords([{ data: "a" }]);
  await daemon.processRecords([]);
  await daemon.shutdownRequested();
  await daemon.leaseLost();
  const { error } = await daemon.close();
  strictEqual(error, undefined);
  deepStrictEqual(
    daemon.output.filter((line) => line.includes('"status"')),
    ["initialize", "processRecords", "processRecords", "shutdownRequested", "leaseLost"].map(
      (action) => `{"action":"status","responseFor":"${action}"}`,
    ),
  );
});

Deno.test("run() passes shard, records and millisBehindLatest to the processor", async () => {
  const seen: unknown[] = [];
  await using daemon = new FakeDaemon({
    initialize(input) {
      seen.push(["init", input.shardId, input.sequenceNumber, input.subSequenceNumber]);
    },
    processRecords({ shardId, records, millisBehindLatest, attempt }) {
      seen.push([
        shardId,
        millisBehindLatest,
        attempt,
        records.map((
          r,
        ) => [
          r.text(),
          r.partitionKey,
          r.sequenceNumber,
          r.subSequenceNumber,
          r.approximateArrivalTimestamp,
        ]),
      ]);
    },
  });
  await daemon.initialize({
    shardId: "shardId-000000000009",
    sequenceNumber: "123",
    subSequenceNumber: 2,
  });
  await daemon.processRecords([
    { data: "héllo", partitionKey: "k1", sequenceNumber: "200", approximateArrivalTimestamp: 5 },
    {
      data: new Uint8Array([1, 2]),
      partitionKey: "k2",
      sequenceNumber: "200",
      subSequenceNumber: 1,
      approximateArrivalTimestamp: null,
    },
  ], { millisBehindLatest: 4200 });
  deepStrictEqual(seen, [
    ["init", "shardId-000000000009", "123", 2],
    ["shardId-000000000009", 4200, 1, [
      ["héllo", "k1", "200", 0, 5],
      ["\u0001\u0002", "k2", "200", 1, null],
    ]],
  ]);
});

Deno.test("run() checkpoints SHARD_END with a null sequence number at shardEnded, always", async (t) => {
  await t.step("when the processor has no shardEnded handler", async () => {
    await using daemon = new FakeDaemon(noop);
    await daemon.initialize();
    await daemon.processRecords([{ data: "a" }]);
    const { checkpoints } = await daemon.shardEnded();
    deepStrictEqual(checkpoints.map((c) => [c.sequenceNumber, c.error]), [[null, null]]);
    strictEqual(daemon.stored, "SHARD_END");
  });
  await t.step("even when the last record was already checkpointed explicitly", async () => {
    await using daemon = new FakeDaemon({
      async processRecords({ records, checkpointer }) {
        await checkpointer.checkpoint(records.at(-1));
      },
      async shardEnded({ checkpointer }) {
        await checkpointer.checkpoint("49590338271490256608559692538361571095921575989136588898");
      },
    });
    await daemon.initialize();
    await daemon.processRecords([{ data: "a" }]);
    const { checkpoints } = await daemon.shardEnded();
    // The explicit one, then kclts's own null one that stores SHARD_END.
    deepStrictEqual(checkpoints.map((c) => c.sequenceNumber), [
      "49590338271490256608559692538361571095921575989136588898",
      null,
    ]);
    strictEqual(daemon.stored, "SHARD_END");
  });
  await t.step(
    "and exits non-zero instead of answering if SHARD_END cannot be stored",
    async () => {
      const daemon = new FakeDaemon(noop, { checkpointErrors: ["InvalidStateException"] });
      await daemon.initialize();
      await daemon.processRecords([{ data: "a" }]);
      await rejects(daemon.shardEnded(), /session ended/);
      const { error } = await daemon.close();
      ok(error instanceof ProcessingError);
      ok(error.message.includes("InvalidStateException"));
      ok(!daemon.output.some((line) => line.includes('"responseFor":"shardEnded"')));
    },
  );
});

Deno.test("run() checkpoints the last processed record at shutdownRequested", async (t) => {
  await t.step("after the handler, at the last completed batch", async () => {
    const order: string[] = [];
    await using daemon = new FakeDaemon({
      processRecords() {},
      shutdownRequested() {
        order.push("handler");
      },
    });
    await daemon.initialize();
    await daemon.processRecords([{ sequenceNumber: "10" }, { sequenceNumber: "11" }]);
    await daemon.processRecords([{ sequenceNumber: "12" }]);
    const { checkpoints } = await daemon.shutdownRequested();
    deepStrictEqual(checkpoints.map((c) => c.sequenceNumber), ["12"]);
    deepStrictEqual(order, ["handler"]);
    await daemon.leaseLost();
  });
  await t.step("not again when it is already checkpointed", async () => {
    await using daemon = new FakeDaemon({
      async processRecords({ checkpointer }) {
        await checkpointer.checkpoint();
      },
    });
    await daemon.initialize();
    await daemon.processRecords([{ sequenceNumber: "10" }]);
    const { checkpoints } = await daemon.shutdownRequested();
    deepStrictEqual(checkpoints, []);
  });
  await t.step("not when checkpointAtShutdown is off", async () => {
    await using daemon = new FakeDaemon(noop, { checkpointAtShutdown: false });
    await daemon.initialize();
    await daemon.processRecords([{ sequenceNumber: "10" }]);
    deepStrictEqual((await daemon.shutdownRequested()).checkpoints, []);
  });
  await t.step("not when the handler keeps failing (its work may be unfinished)", async () => {
    await using daemon = new FakeDaemon({
      processRecords() {},
      shutdownRequested() {
        throw new Error("flush failed");
      },
    });
    await daemon.initialize();
    await daemon.processRecords([{ sequenceNumber: "10" }]);
    deepStrictEqual((await daemon.shutdownRequested()).checkpoints, []);
    await daemon.leaseLost();
    strictEqual((await daemon.close()).error, undefined);
  });
  await t.step("nothing when no record was processed", async () => {
    await using daemon = new FakeDaemon(noop);
    await daemon.initialize();
    deepStrictEqual((await daemon.shutdownRequested()).checkpoints, []);
  });
});

Deno.test("run() never checkpoints after leaseLost", async () => {
  let late: Promise<void> | undefined;
  await using daemon = new FakeDaemon({
    processRecords({ checkpointer }) {
      // Background work that checkpoints later.
      late = new Promise<void>((resolve) => setTimeout(resolve, 10)).then(() =>
        checkpointer.checkpoint()
      );
      late.catch(() => {});
    },
    async leaseLost() {
      await late?.catch(() => {});
    },
  });
  await daemon.initialize();
  await daemon.processRecords([{ data: "a" }]);
  const { checkpoints } = await daemon.leaseLost();
  deepStrictEqual(checkpoints, []);
  deepStrictEqual(daemon.checkpoints, []);
  await rejects(late!, (error: unknown) => {
    ok(error instanceof CheckpointError);
    ok(error.leaseLost);
    ok(error.message.includes("the lease was lost"), error.message);
    return true;
  });
});

Deno.test("run() sends a checkpoint made between actions during the next batch", async () => {
  let checkpointer: { checkpoint(s?: string): Promise<void> } | undefined;
  await using daemon = new FakeDaemon({
    processRecords(input) {
      checkpointer = input.checkpointer;
    },
  });
  await daemon.initialize();
  await daemon.processRecords([{ sequenceNumber: "5" }]);
  const deferred = checkpointer!.checkpoint("5");
  let settled = false;
  deferred.then(() => settled = true);
  await new Promise((resolve) => setTimeout(resolve, 5));
  strictEqual(settled, false, "held until the daemon can answer");
  const { checkpoints } = await daemon.processRecords([{ sequenceNumber: "6" }]);
  deepStrictEqual(checkpoints.map((c) => c.sequenceNumber), ["5"]);
  await deferred;
  deepStrictEqual(daemon.stored, { sequenceNumber: "5", subSequenceNumber: 0 });
});

Deno.test("run() stores only what was delivered when a no-argument checkpoint was made between batches", async () => {
  // The daemon answers a null position with its largestPermittedCheckpointValue,
  // which moves when a batch is delivered (ProcessTask): a call held until the
  // next batch must not be sent as null.
  let called!: () => void;
  const made = new Promise<void>((resolve) => called = resolve);
  let late: Promise<void> | undefined;
  await using daemon = new FakeDaemon({
    processRecords({ records, checkpointer }) {
      if (records[0]?.sequenceNumber !== "10") return;
      setTimeout(() => {
        late = checkpointer.checkpoint();
        called();
      }, 1);
    },
  });
  await daemon.initialize();
  await daemon.processRecords([{ sequenceNumber: "10" }]);
  await made;
  const { checkpoints } = await daemon.processRecords([
    { sequenceNumber: "20" },
    { sequenceNumber: "30" },
  ]);
  await late;
  deepStrictEqual(checkpoints.map((c) => [c.sequenceNumber, c.error]), [["10", null]]);
  deepStrictEqual(daemon.stored, { sequenceNumber: "10", subSequenceNumber: 0 });
});

Deno.test("run() stores only what was delivered when a no-argument checkpoint was made after shutdownRequested", async () => {
  let called!: () => void;
  const made = new Promise<void>((resolve) => called = resolve);
  let late: Promise<void> | undefined;
  await using daemon = new FakeDaemon({
    processRecords() {},
    shutdownRequested({ checkpointer }) {
      // A background flush that acknowledges what it wrote once the handler returned.
      setTimeout(() => {
        late = checkpointer.checkpoint();
        called();
      }, 1);
    },
  }, { checkpointAtShutdown: false });
  await daemon.initialize();
  await daemon.processRecords([{ sequenceNumber: "10" }]);
  deepStrictEqual((await daemon.shutdownRequested()).checkpoints, []);
  await made;
  const { checkpoints } = await daemon.processRecords([
    { sequenceNumber: "20" },
    { sequenceNumber: "30" },
  ]);
  await late;
  deepStrictEqual(checkpoints.map((c) => [c.sequenceNumber, c.error]), [["10", null]]);
  deepStrictEqual(daemon.stored, { sequenceNumber: "10", subSequenceNumber: 0 });
});

Deno.test("run() stores SHARD_END for a no-argument checkpoint made in shardEnded", async () => {
  await using daemon = new FakeDaemon({
    processRecords() {},
    async shardEnded({ checkpointer }) {
      await checkpointer.checkpoint();
    },
  });
  await daemon.initialize();
  await daemon.processRecords([{ sequenceNumber: "10" }]);
  const { checkpoints } = await daemon.shardEnded();
  deepStrictEqual(checkpoints.map((c) => [c.sequenceNumber, c.error]), [[null, null], [
    null,
    null,
  ]]);
  strictEqual(daemon.stored, "SHARD_END");
});

Deno.test("run() sends nothing for a no-argument checkpoint made before any record was delivered", async () => {
  let called!: () => void;
  const made = new Promise<void>((resolve) => called = resolve);
  let late: Promise<void> | undefined;
  await using daemon = new FakeDaemon({
    processRecords({ records, checkpointer }) {
      if (records.length > 0) return;
      setTimeout(() => {
        late = checkpointer.checkpoint();
        called();
      }, 1);
    },
  });
  await daemon.initialize();
  await daemon.processRecords([]);
  await made;
  const { checkpoints } = await daemon.processRecords([
    { sequenceNumber: "20" },
    { sequenceNumber: "30" },
  ]);
  await late;
  deepStrictEqual(checkpoints, []);
  strictEqual(daemon.stored, "TRIM_HORIZON");
});

Deno.test("run() refuses a checkpoint awaited inside leaseLost at once, without asking the daemon", async () => {
  let kept: Checkpointer | undefined;
  let refusal: unknown;
  await using daemon = new FakeDaemon({
    processRecords({ checkpointer }) {
      kept = checkpointer;
    },
    async leaseLost() {
      // Awaiting here must not hang: the daemon has no checkpointer during leaseLost.
      await kept!.checkpoint().catch((error) => refusal = error);
    },
  });
  await daemon.initialize();
  await daemon.processRecords([{ data: "a" }]);
  await daemon.leaseLost();
  deepStrictEqual(daemon.checkpoints, []);
  ok(refusal instanceof CheckpointError);
  strictEqual(refusal.attempts, 0);
});

Deno.test("run() retries a failing batch, then exits without status or checkpoint", async () => {
  let calls = 0;
  const delays: number[] = [];
  const daemon = new FakeDaemon({
    processRecords() {
      calls++;
      throw new Error("database down");
    },
  }, {
    onError: { retries: 2, retryDelayMs: 100 },
    sleep: (ms) => {
      delays.push(ms);
      return Promise.resolve();
    },
    checkpoint: { everyRecords: 1 },
  });
  await daemon.initialize();
  await rejects(daemon.processRecords([{ sequenceNumber: "1" }, { sequenceNumber: "2" }]));
  const { error } = await daemon.close();
  strictEqual(calls, 3);
  deepStrictEqual(delays, [100, 200]);
  ok(error instanceof ProcessingError, String(error));
  strictEqual(error.attempts, 3);
  strictEqual(error.record?.sequenceNumber, "1");
  ok(error.message.includes("database down"));
  deepStrictEqual(daemon.checkpoints, []);
  ok(!daemon.output.some((line) => line.includes("processRecords")));
});

Deno.test("run() recovers when a retry succeeds", async () => {
  let calls = 0;
  await using daemon = new FakeDaemon({
    processRecords({ attempt }) {
      calls++;
      if (attempt === 1) throw new Error("flaky");
    },
  }, { checkpoint: { everyRecords: 1 } });
  await daemon.initialize();
  const { checkpoints } = await daemon.processRecords([{ sequenceNumber: "1" }]);
  strictEqual(calls, 2);
  deepStrictEqual(checkpoints.map((c) => c.sequenceNumber), ["1"]);
});

Deno.test("run() resumes a retry at the record a RecordFailure names", async () => {
  const tried: string[][] = [];
  await using daemon = new FakeDaemon({
    processRecords({ records, attempt }) {
      tried.push(records.map((r) => r.sequenceNumber));
      for (const record of records) {
        if (record.sequenceNumber === "3" && attempt === 1) {
          throw new RecordFailure(record, new Error("bad"));
        }
      }
    },
  });
  await daemon.initialize();
  await daemon.processRecords([1, 2, 3, 4].map((n) => ({ sequenceNumber: String(n) })));
  deepStrictEqual(tried, [["1", "2", "3", "4"], ["3", "4"]]);
});

Deno.test("run() skips only when asked, logging and dead-lettering each record", async (t) => {
  await t.step("a failing record is skipped, the rest processed", async () => {
    const dead: [string, string, unknown][] = [];
    const processed: string[] = [];
    await using daemon = new FakeDaemon({
      processRecords({ records }) {
        for (const record of records) {
          if (record.text() === "poison") {
            throw new RecordFailure(record, new Error("cannot parse"));
          }
          processed.push(record.sequenceNumber);
        }
      },
    }, {
      onError: {
        retries: 1,
        skip: true,
        deadLetter: (record, error, context) =>
          void dead.push([record.sequenceNumber, context.shardId, (error as Error).message]),
      },
      checkpoint: { everyRecords: 1 },
    });
    await daemon.initialize({ shardId: "shardId-000000000004" });
    const { checkpoints } = await daemon.processRecords([
      { data: "ok", sequenceNumber: "1" },
      { data: "poison", sequenceNumber: "2", partitionKey: "bad-key" },
      { data: "ok", sequenceNumber: "3" },
    ]);
    deepStrictEqual(processed, ["1", "3"], "the retry resumes at the failed record");
    strictEqual(dead.length, 1);
    deepStrictEqual(dead[0]?.slice(0, 2), ["2", "shardId-000000000004"]);
    ok(String(dead[0]?.[2]).includes("cannot parse"));
    deepStrictEqual(checkpoints.map((c) => c.sequenceNumber), ["3"]);
  });
  await t.step("a batch-level failure skips the whole remaining batch", async () => {
    const dead: string[] = [];
    await using daemon = new FakeDaemon({
      processRecords() {
        throw new Error("nope");
      },
    }, {
      onError: {
        retries: 0,
        skip: true,
        deadLetter: (record) => void dead.push(record.sequenceNumber),
      },
    });
    await daemon.initialize();
    await daemon.processRecords([{ sequenceNumber: "1" }, { sequenceNumber: "2" }]);
    deepStrictEqual(dead, ["1", "2"]);
  });
  await t.step("a failing dead-letter hook stops instead of losing the record", async () => {
    const daemon = new FakeDaemon({
      processRecords() {
        throw new Error("nope");
      },
    }, {
      onError: {
        retries: 0,
        skip: true,
        deadLetter: () => {
          throw new Error("queue unavailable");
        },
      },
    });
    await daemon.initialize();
    await rejects(daemon.processRecords([{ sequenceNumber: "1" }]));
    const { error } = await daemon.close();
    ok(error instanceof ProcessingError);
    ok(error.message.includes("dead-letter hook failed"));
  });
});

Deno.test("run() treats a lost lease during processRecords as the end of the batch, not a failure", async () => {
  let calls = 0;
  await using daemon = new FakeDaemon({
    async processRecords({ records, checkpointer }) {
      calls++;
      await checkpointer.checkpoint(records[0]);
    },
  }, { checkpointErrors: ["ShutdownException"] });
  await daemon.initialize();
  await daemon.processRecords([{ sequenceNumber: "1" }]);
  strictEqual(calls, 1, "not retried");
  // Later checkpoints fail at once, without asking the daemon.
  await daemon.processRecords([{ sequenceNumber: "2" }]);
  strictEqual(calls, 2);
  strictEqual(daemon.checkpoints.length, 1);
  await daemon.leaseLost();
  strictEqual((await daemon.close()).error, undefined);
});

Deno.test("run() retries initialize, then exits non-zero", async () => {
  let calls = 0;
  const daemon = new FakeDaemon({
    initialize() {
      calls++;
      throw new Error("no database");
    },
    processRecords() {},
  }, { onError: { retries: 1 } });
  await rejects(daemon.initialize(), /no database/);
  const { error } = await daemon.close();
  strictEqual(calls, 2);
  ok(error instanceof ProcessingError);
  strictEqual(error.action, "initialize");
});

Deno.test("run() logs a failing leaseLost handler but still answers", async () => {
  await using daemon = new FakeDaemon({
    processRecords() {},
    leaseLost() {
      throw new Error("cleanup failed");
    },
  }, { onError: { retries: 0 } });
  await daemon.initialize();
  await daemon.leaseLost();
  strictEqual((await daemon.close()).error, undefined);
});

Deno.test("run() rejects malformed input and unknown actions with a ProtocolError", async (t) => {
  for (
    const [line, pattern] of [
      ["this is not json", /not JSON: this is not json/],
      ['{"action":"explode"}', /unknown action "explode"/],
      ['{"action":"processRecords","records":[],"millisBehindLatest":0}', /before initialize/],
      [
        '{"action":"checkpoint","sequenceNumber":null,"subSequenceNumber":null,"error":null}',
        /no checkpoint was requested/,
      ],
    ] as const
  ) {
    await t.step(line, async () => {
      const pipe = memoryPipe();
      const session = run(noop, { connection: pipe.connection });
      pipe.send(line);
      await rejects(session, (error: unknown) => {
        ok(error instanceof ProtocolError, String(error));
        ok(pattern.test(error.message), error.message);
        return true;
      });
      deepStrictEqual(pipe.written(), []);
      pipe.end();
    });
  }
  await t.step("a second initialize", async () => {
    const pipe = memoryPipe();
    const session = run(noop, { connection: pipe.connection });
    pipe.send(INITIALIZE);
    pipe.send(INITIALIZE);
    await rejects(session, /Unexpected initialize message in state ready/);
    pipe.end();
  });
});

Deno.test("run() fails when the daemon answers a checkpoint with something else", async () => {
  const pipe = memoryPipe();
  const session = run({
    async processRecords({ checkpointer }) {
      await checkpointer.checkpoint().catch(() => {});
    },
  }, { connection: pipe.connection });
  pipe.send(INITIALIZE);
  pipe.send(processRecordsLine(["a"]));
  pipe.send('{"action":"shardEnded"}');
  await rejects(session, /Expected the daemon's reply to a checkpoint, got a shardEnded message/);
  pipe.end();
});

Deno.test("run() resolves at end of input and ends pending checkpoints", async () => {
  const pipe = memoryPipe();
  let checkpointer: { checkpoint(): Promise<void> } | undefined;
  const session = run({
    processRecords(input) {
      checkpointer = input.checkpointer;
    },
  }, { connection: pipe.connection });
  pipe.send(INITIALIZE);
  pipe.send(processRecordsLine(["a"]));
  while (pipe.written().length < 2) await new Promise((resolve) => setTimeout(resolve, 1));
  const held = checkpointer!.checkpoint();
  pipe.end();
  await session;
  await rejects(held, (error: unknown) => error instanceof CheckpointError && error.leaseLost);
});

Deno.test("run() aborts the handler's signal and stops waiting when stdin closes mid-batch", async () => {
  const pipe = memoryPipe();
  let aborted = false;
  let release!: () => void;
  const stuck = new Promise<void>((resolve) => release = resolve);
  const session = run({
    async processRecords({ signal }) {
      signal.addEventListener("abort", () => aborted = true);
      await stuck;
    },
  }, { connection: pipe.connection, eofGraceMs: 20 });
  pipe.send(INITIALIZE);
  pipe.send(processRecordsLine(["a"]));
  await new Promise((resolve) => setTimeout(resolve, 10));
  pipe.end();
  await session;
  ok(aborted);
  release();
});

Deno.test("run() speaks the KCL 1.7.0 dialect when initialize has no sequenceNumber", async () => {
  const processed: string[] = [];
  await using daemon = new FakeDaemon({
    async processRecords({ records, checkpointer }) {
      processed.push(...records.map((r) => r.text()));
      await checkpointer.checkpoint(records.at(-1));
    },
  }, { legacy: true });
  await daemon.initialize({ sequenceNumber: null });
  const { checkpoints } = await daemon.processRecords([{ data: "x", sequenceNumber: "77" }]);
  deepStrictEqual(checkpoints.map((c) => [c.sequenceNumber, c.error]), [["77", null]]);
  ok(daemon.output.includes('{"action":"checkpoint","checkpoint":"77"}'), daemon.output.join("\n"));
  const end = await daemon.shutdown("TERMINATE");
  deepStrictEqual(end.checkpoints.map((c) => c.sequenceNumber), [null]);
  ok(daemon.output.includes('{"action":"checkpoint","checkpoint":null}'));
  ok(daemon.output.includes('{"action":"status","responseFor":"shutdown"}'));
  deepStrictEqual(processed, ["x"]);
});

Deno.test("run() maps KCL 1.x shutdown ZOMBIE to leaseLost (no checkpoint)", async () => {
  let lost = false;
  await using daemon = new FakeDaemon({
    processRecords() {},
    leaseLost() {
      lost = true;
    },
  }, { legacy: true });
  await daemon.initialize({ sequenceNumber: null });
  await daemon.processRecords([{ data: "x" }]);
  const { checkpoints } = await daemon.shutdown("ZOMBIE");
  deepStrictEqual(checkpoints, []);
  ok(lost);
});

Deno.test("run() automatic batch checkpoints follow the count and the clock", async () => {
  let now = 0;
  await using daemon = new FakeDaemon(noop, {
    checkpoint: { everyRecords: 5, everySeconds: 10 },
    now: () => now,
  });
  await daemon.initialize();
  const counts: number[] = [];
  for (const size of [2, 2, 2, 1, 1]) {
    const { checkpoints } = await daemon.processRecords(Array.from({ length: size }, () => ({})));
    counts.push(checkpoints.length);
  }
  deepStrictEqual(counts, [0, 0, 1, 0, 0]);
  now = 11_000;
  deepStrictEqual((await daemon.processRecords([{}])).checkpoints.length, 1);
  deepStrictEqual((await daemon.processRecords([{ sequenceNumber: "900" }])).checkpoints.length, 0);
  now = 22_000;
  const quiet = await daemon.processRecords([]);
  deepStrictEqual(
    quiet.checkpoints.map((c) => c.sequenceNumber),
    ["900"],
    "the tail, on an empty batch",
  );
});

Deno.test("run() rejects a processor without processRecords", async () => {
  await rejects(
    run({} as BatchProcessor, { connection: memoryPipe().connection }),
    /no processRecords method/,
  );
});

Deno.test("KinesisRecord decodes lazily and names itself in errors", async () => {
  let record: KinesisRecord | undefined;
  await using daemon = new FakeDaemon({
    processRecords({ records }) {
      record = records[0];
    },
  });
  await daemon.initialize();
  await daemon.processRecords([{ data: "not json {", partitionKey: "pk-9", sequenceNumber: "31" }]);
  strictEqual(record?.size, 10);
  try {
    record?.json();
    ok(false);
  } catch (error) {
    ok(error instanceof SyntaxError);
    ok(error.message.includes('Record 31 (partition key "pk-9") is not JSON'), error.message);
  }
});
