import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { CheckpointError } from "../mod.ts";
import { type CheckpointExchange, ShardCheckpointer } from "../src/session/checkpointer.ts";
import type { CheckpointRequestMessage } from "../src/protocol/types.ts";

/** A daemon side that answers with the given errors, in order, then success. */
function daemon(errors: (string | null)[] = [], delayMs = 0) {
  const requests: CheckpointRequestMessage[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const exchange: CheckpointExchange = async (request) => {
    requests.push(request);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    inFlight--;
    return {
      action: "checkpoint",
      sequenceNumber: request.sequenceNumber,
      subSequenceNumber: request.subSequenceNumber,
      error: errors.shift() ?? null,
    };
  };
  return { exchange, requests, maxInFlight: () => maxInFlight };
}

function checkpointer(delays: number[] = [], retry = {}) {
  return new ShardCheckpointer({
    retry,
    sleep: (ms) => {
      delays.push(ms);
      return Promise.resolve();
    },
  });
}

Deno.test("Checkpointer sends the sequence and sub-sequence numbers as given", async () => {
  const d = daemon();
  const c = checkpointer();
  c.open(d.exchange);
  await c.checkpoint("49590338271490256608559692538361571095921575989136588898", 4);
  await c.checkpoint({ sequenceNumber: "7", subSequenceNumber: 2 });
  deepStrictEqual(d.requests.map((r) => [r.sequenceNumber, r.subSequenceNumber]), [
    ["49590338271490256608559692538361571095921575989136588898", 4],
    ["7", 2],
  ]);
});

Deno.test("Checkpointer fixes a no-argument call at the last record delivered when it is made", async () => {
  const d = daemon();
  const c = checkpointer();
  c.delivered({ sequenceNumber: "10", subSequenceNumber: 3 });
  const held = c.checkpoint(); // between actions: held
  c.delivered({ sequenceNumber: "30", subSequenceNumber: 0 }); // the next batch
  c.open(d.exchange);
  await held;
  await c.checkpoint(); // now: everything delivered is 30
  deepStrictEqual(d.requests.map((r) => [r.sequenceNumber, r.subSequenceNumber]), [
    ["10", 3],
    ["30", 0],
  ]);
  deepStrictEqual(c.lastStored, { sequenceNumber: "30", subSequenceNumber: 0 });
});

Deno.test("Checkpointer sends nothing for a no-argument call made before any record was delivered", async () => {
  const d = daemon();
  const c = checkpointer();
  const held = c.checkpoint();
  c.delivered({ sequenceNumber: "30", subSequenceNumber: 0 });
  c.open(d.exchange);
  await held;
  await c.settle();
  deepStrictEqual(d.requests, []);
  strictEqual(c.lastStored, null);
});

Deno.test("Checkpointer sends a null position (SHARD_END) for a no-argument call after shardEnded()", async () => {
  const d = daemon();
  const c = checkpointer();
  c.delivered({ sequenceNumber: "10", subSequenceNumber: 0 });
  const held = c.checkpoint();
  c.shardEnded();
  c.open(d.exchange);
  await held;
  await c.checkpoint();
  deepStrictEqual(d.requests.map((r) => r.sequenceNumber), ["10", null]);
});

Deno.test("Checkpointer throws a typed CheckpointError for each daemon error", async (t) => {
  for (
    const name of [
      "IllegalArgumentException",
      "InvalidStateException",
      "ShutdownException",
      "NullPointerException",
    ]
  ) {
    await t.step(name, async () => {
      const d = daemon([name]);
      const c = checkpointer();
      c.open(d.exchange);
      await rejects(c.checkpoint("5"), (error: unknown) => {
        ok(error instanceof CheckpointError);
        strictEqual(error.name, name);
        strictEqual(error.sequenceNumber, "5");
        strictEqual(error.attempts, 1);
        strictEqual(error.leaseLost, name === "ShutdownException");
        ok(error.message.includes(`sequence number 5: the daemon answered ${name}`), error.message);
        return true;
      });
      strictEqual(d.requests.length, 1, "not retried");
    });
  }
});

Deno.test("Checkpointer retries throttling and dependency errors with doubling backoff", async () => {
  const d = daemon([
    "ThrottlingException",
    "KinesisClientLibDependencyException",
    "ThrottlingException",
  ]);
  const delays: number[] = [];
  const c = checkpointer(delays, { initialDelayMs: 100, maxDelayMs: 300 });
  c.open(d.exchange);
  await c.checkpoint("9");
  strictEqual(d.requests.length, 4);
  deepStrictEqual(delays, [100, 200, 300]);
  deepStrictEqual(c.lastStored, { sequenceNumber: "9", subSequenceNumber: 0 });
});

Deno.test("Checkpointer gives up after the configured retries", async () => {
  const d = daemon(Array(10).fill("ThrottlingException"));
  const c = checkpointer([], { retries: 2 });
  c.open(d.exchange);
  await rejects(c.checkpoint("9"), (error: unknown) => {
    ok(error instanceof CheckpointError);
    strictEqual(error.name, "ThrottlingException");
    strictEqual(error.attempts, 3);
    ok(error.message.endsWith("after 3 attempts"), error.message);
    return true;
  });
  strictEqual(d.requests.length, 3);
});

Deno.test("Checkpointer stops asking the daemon after ShutdownException", async () => {
  const d = daemon(["ShutdownException"]);
  const c = checkpointer();
  c.open(d.exchange);
  await rejects(c.checkpoint("1"), CheckpointError);
  ok(c.leaseLost);
  await rejects(c.checkpoint("2"), (error: unknown) => {
    ok(error instanceof CheckpointError && error.leaseLost);
    strictEqual(error.attempts, 0);
    return true;
  });
  strictEqual(d.requests.length, 1);
});

Deno.test("Checkpointer sends concurrent calls one at a time, in call order", async () => {
  const d = daemon([], 2);
  const c = checkpointer();
  c.open(d.exchange);
  await Promise.all(Array.from({ length: 20 }, (_, i) => c.checkpoint(String(i + 1))));
  strictEqual(d.maxInFlight(), 1);
  deepStrictEqual(
    d.requests.map((r) => r.sequenceNumber),
    Array.from({ length: 20 }, (_, i) => String(i + 1)),
  );
  deepStrictEqual(c.lastStored, { sequenceNumber: "20", subSequenceNumber: 0 });
});

Deno.test("Checkpointer settle() waits for a checkpoint nobody awaited", async () => {
  const d = daemon([], 5);
  const c = checkpointer();
  c.open(d.exchange);
  void c.checkpoint("3");
  await c.settle();
  strictEqual(d.requests.length, 1);
  deepStrictEqual(c.lastStored, { sequenceNumber: "3", subSequenceNumber: 0 });
});

Deno.test("Checkpointer holds calls between actions and sends them on open()", async () => {
  const d = daemon();
  const c = checkpointer();
  const held = c.checkpoint("4");
  await new Promise((resolve) => setTimeout(resolve, 1));
  strictEqual(d.requests.length, 0);
  c.open(d.exchange);
  await held;
  strictEqual(d.requests.length, 1);
});

Deno.test("Checkpointer rejects bad arguments before sending", async () => {
  const d = daemon();
  const c = checkpointer();
  c.open(d.exchange);
  await rejects(c.checkpoint("12.5"), TypeError);
  await rejects(c.checkpoint("-1"), TypeError);
  await rejects(c.checkpoint("TRIM_HORIZON"), TypeError);
  await rejects(c.checkpoint("5", -1), TypeError);
  await rejects(c.checkpoint(undefined, 3), TypeError);
  await rejects(
    c.checkpoint(49590338271490256608559692538361571095921575989136588898 as unknown as string),
    TypeError,
  );
  strictEqual(d.requests.length, 0);
});

Deno.test("Checkpointer tracks a no-argument checkpoint as the largest record delivered", async () => {
  const d = daemon();
  const c = checkpointer();
  c.delivered({ sequenceNumber: "100", subSequenceNumber: 0 });
  c.open(d.exchange);
  await c.checkpoint();
  deepStrictEqual(c.lastStored, { sequenceNumber: "100", subSequenceNumber: 0 });
});
