import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import fc from "fast-check";
import {
  type ChildMessage,
  type DaemonMessage,
  parseChildMessage,
  parseDaemonMessage,
  ProtocolError,
  serializeChildMessage,
  serializeDaemonMessage,
  type WireRecord,
} from "../mod.ts";

const SEQ = "49590338271490256608559692538361571095921575989136588898";

Deno.test("parseDaemonMessage() parses every daemon message", async (t) => {
  const cases: [string, DaemonMessage][] = [
    [
      `{"action":"initialize","shardId":"shardId-000000000001","sequenceNumber":"${SEQ}","subSequenceNumber":3}`,
      {
        action: "initialize",
        shardId: "shardId-000000000001",
        sequenceNumber: SEQ,
        subSequenceNumber: 3,
        legacy: false,
      },
    ],
    [
      '{"action":"initialize","shardId":"s","sequenceNumber":null,"subSequenceNumber":null}',
      {
        action: "initialize",
        shardId: "s",
        sequenceNumber: null,
        subSequenceNumber: null,
        legacy: false,
      },
    ],
    [
      '{"action":"initialize","shardId":"shardId-000000000000"}',
      {
        action: "initialize",
        shardId: "shardId-000000000000",
        sequenceNumber: null,
        subSequenceNumber: null,
        legacy: true,
      },
    ],
    [
      `{"action":"processRecords","records":[{"data":"aGVsbG8=","partitionKey":"pk-é","sequenceNumber":"${SEQ}","approximateArrivalTimestamp":1700000000123,"subSequenceNumber":0,"action":"record"},{"data":null,"partitionKey":"k","sequenceNumber":"5","approximateArrivalTimestamp":null,"subSequenceNumber":2,"action":"record"}],"millisBehindLatest":17}`,
      {
        action: "processRecords",
        records: [
          {
            data: "aGVsbG8=",
            partitionKey: "pk-é",
            sequenceNumber: SEQ,
            subSequenceNumber: 0,
            approximateArrivalTimestamp: 1700000000123,
            action: "record",
          } as WireRecord,
          {
            data: null,
            partitionKey: "k",
            sequenceNumber: "5",
            subSequenceNumber: 2,
            approximateArrivalTimestamp: null,
            action: "record",
          } as WireRecord,
        ],
        millisBehindLatest: 17,
      },
    ],
    [
      '{"action":"processRecords","records":[],"millisBehindLatest":null}',
      { action: "processRecords", records: [], millisBehindLatest: null },
    ],
    ['{"action":"leaseLost"}', { action: "leaseLost" }],
    ['{"action":"shardEnded"}', { action: "shardEnded" }],
    ['{"action":"shutdownRequested"}', { action: "shutdownRequested" }],
    ['{"action":"shutdown","reason":"TERMINATE"}', { action: "shutdown", reason: "TERMINATE" }],
    ['{"action":"shutdown","reason":"ZOMBIE"}', { action: "shutdown", reason: "ZOMBIE" }],
    [
      `{"action":"checkpoint","sequenceNumber":"${SEQ}","subSequenceNumber":3,"error":"IllegalArgumentException"}`,
      {
        action: "checkpoint",
        sequenceNumber: SEQ,
        subSequenceNumber: 3,
        error: "IllegalArgumentException",
      },
    ],
    [
      '{"action":"checkpoint","sequenceNumber":null,"subSequenceNumber":null,"error":null}',
      { action: "checkpoint", sequenceNumber: null, subSequenceNumber: null, error: null },
    ],
    [
      '{"action":"checkpoint","checkpoint":"42","error":null}',
      { action: "checkpoint", sequenceNumber: "42", subSequenceNumber: null, error: null },
    ],
    [
      '  {"action":"leaseLost","newField":1}  ',
      { action: "leaseLost" },
    ],
  ];
  for (const [line, expected] of cases) {
    await t.step(line.slice(0, 60), () => deepStrictEqual(parseDaemonMessage(line), expected));
  }
});

Deno.test("parseDaemonMessage() keeps 56-digit sequence numbers exact", () => {
  const big = "9".repeat(56);
  const message = parseDaemonMessage(
    `{"action":"processRecords","records":[{"data":"","partitionKey":"p","sequenceNumber":"${big}","subSequenceNumber":0,"approximateArrivalTimestamp":1}],"millisBehindLatest":0}`,
  );
  strictEqual(message.action === "processRecords" && message.records[0]?.sequenceNumber, big);
});

Deno.test("parseDaemonMessage() names the problem and the line", async (t) => {
  const cases: [string, RegExp][] = [
    ["not json", /not JSON: not json/],
    ["[1,2]", /not a JSON object/],
    ['"text"', /not a JSON object/],
    ["null", /not a JSON object/],
    ['{"shardId":"s"}', /"action" is missing/],
    ['{"action":"explode"}', /unknown action "explode"/],
    ['{"action":7}', /unknown action 7/],
    ['{"action":"initialize"}', /"shardId" is missing/],
    [
      '{"action":"initialize","shardId":"s","sequenceNumber":5}',
      /"sequenceNumber" is not a string/,
    ],
    ['{"action":"processRecords","records":{}}', /"records" is not an array/],
    ['{"action":"processRecords","records":[1]}', /record 0 is not an object/],
    [
      '{"action":"processRecords","records":[{"data":"","partitionKey":"p","sequenceNumber":"12a"}]}',
      /record 0: "sequenceNumber" is not a decimal string/,
    ],
    [
      '{"action":"processRecords","records":[{"data":5,"partitionKey":"p","sequenceNumber":"1"}]}',
      /record 0: "data" is not a base64 string/,
    ],
    [
      '{"action":"processRecords","records":[{"data":"","sequenceNumber":"1"}]}',
      /record 0: "partitionKey" is missing/,
    ],
    [
      '{"action":"processRecords","records":[{"data":"","partitionKey":"p","sequenceNumber":"1","subSequenceNumber":-1}]}',
      /"subSequenceNumber" is not a non-negative integer/,
    ],
    ['{"action":"processRecords","records":[],"millisBehindLatest":"x"}', /"millisBehindLatest"/],
    ['{"action":"shutdown","reason":"BOOM"}', /unknown shutdown reason "BOOM"/],
    ['{"action":"checkpoint","sequenceNumber":"1","error":5}', /"error" is not a string/],
  ];
  for (const [line, pattern] of cases) {
    await t.step(line.slice(0, 60), () => {
      throws(() => parseDaemonMessage(line), (error: unknown) => {
        ok(error instanceof ProtocolError, `not a ProtocolError: ${error}`);
        ok(error instanceof SyntaxError);
        ok(pattern.test(error.message), `"${error.message}" does not match ${pattern}`);
        strictEqual(error.line, line);
        return true;
      });
    });
  }
});

Deno.test("parseDaemonMessage() trims a long bad line in its message", () => {
  const line = `{"action":"boom","pad":"${"x".repeat(5000)}"}`;
  throws(() => parseDaemonMessage(line), (error: unknown) => {
    ok(error instanceof ProtocolError);
    ok(error.message.length < 400, `message is ${error.message.length} characters`);
    ok(error.message.includes(`(${line.length} characters)`));
    strictEqual(error.line, line);
    return true;
  });
});

Deno.test("serializeChildMessage() writes exactly the fields the daemon accepts", async (t) => {
  const cases: [ChildMessage, "v2" | "legacy", string][] = [
    [
      { action: "status", responseFor: "initialize" },
      "v2",
      '{"action":"status","responseFor":"initialize"}',
    ],
    [
      { action: "status", responseFor: "shutdown" },
      "legacy",
      '{"action":"status","responseFor":"shutdown"}',
    ],
    [
      { action: "checkpoint", sequenceNumber: SEQ, subSequenceNumber: 7 },
      "v2",
      `{"action":"checkpoint","sequenceNumber":"${SEQ}","subSequenceNumber":7}`,
    ],
    [
      { action: "checkpoint", sequenceNumber: null, subSequenceNumber: null },
      "v2",
      '{"action":"checkpoint","sequenceNumber":null,"subSequenceNumber":null}',
    ],
    [
      { action: "checkpoint", sequenceNumber: SEQ, subSequenceNumber: 7 },
      "legacy",
      `{"action":"checkpoint","checkpoint":"${SEQ}"}`,
    ],
  ];
  for (const [message, dialect, expected] of cases) {
    await t.step(expected, () => {
      const line = serializeChildMessage(message, { dialect });
      strictEqual(line, expected);
      // The fake daemon's strict parser (Jackson's rules) accepts it.
      const parsed = parseChildMessage(line, { dialect });
      strictEqual(parsed.action, message.action);
    });
  }
});

Deno.test("serializeChildMessage() rejects what the daemon cannot store", () => {
  throws(
    () =>
      serializeChildMessage({ action: "checkpoint", sequenceNumber: "12e3", subSequenceNumber: 0 }),
    TypeError,
  );
  throws(
    () =>
      serializeChildMessage({ action: "checkpoint", sequenceNumber: "1", subSequenceNumber: -1 }),
    TypeError,
  );
  throws(
    () =>
      serializeChildMessage({
        action: "status",
        responseFor: "bogus" as "initialize",
      }),
    TypeError,
  );
});

Deno.test("parseChildMessage() rejects lines the daemon would skip", () => {
  for (
    const line of [
      '{"action":"status","responseFor":"initialize","pid":1}',
      '{"action":"checkpoint","checkpoint":"123"}',
      '{"action":"status"}',
      '{"action":"log","message":"hi"}',
      "hello",
    ]
  ) {
    throws(() => parseChildMessage(line), ProtocolError, line);
  }
});

Deno.test("serializeDaemonMessage() and parseDaemonMessage() round-trip", () => {
  const messages: DaemonMessage[] = [
    {
      action: "initialize",
      shardId: "s-1",
      sequenceNumber: SEQ,
      subSequenceNumber: 0,
      legacy: false,
    },
    {
      action: "initialize",
      shardId: "s-1",
      sequenceNumber: null,
      subSequenceNumber: null,
      legacy: true,
    },
    {
      action: "processRecords",
      records: [{
        data: "AAE=",
        partitionKey: "p",
        sequenceNumber: SEQ,
        subSequenceNumber: 1,
        approximateArrivalTimestamp: 5,
      }],
      millisBehindLatest: 1000,
    },
    { action: "shardEnded" },
    { action: "leaseLost" },
    { action: "shutdownRequested" },
    { action: "shutdown", reason: "ZOMBIE" },
    {
      action: "checkpoint",
      sequenceNumber: "1",
      subSequenceNumber: 0,
      error: "ThrottlingException",
    },
  ];
  // The daemon's "action":"record" on each record is kept, not copied away.
  const withoutRecordAction = (message: DaemonMessage) =>
    JSON.parse(
      JSON.stringify(message, (key, value) =>
        key === "action" && value === "record" ? undefined : value),
    );
  for (const message of messages) {
    deepStrictEqual(
      withoutRecordAction(parseDaemonMessage(serializeDaemonMessage(message))),
      message,
    );
  }
});

Deno.test("parseDaemonMessage() never crashes on random input: a message or a ProtocolError", () => {
  const jsonish = fc.oneof(
    fc.string(),
    fc.json(),
    fc.record({
      action: fc.constantFrom(
        "initialize",
        "processRecords",
        "leaseLost",
        "shardEnded",
        "shutdownRequested",
        "shutdown",
        "checkpoint",
        "status",
        "record",
      ),
      shardId: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
      sequenceNumber: fc.oneof(fc.bigInt({ min: 0n }).map(String), fc.string(), fc.integer()),
      subSequenceNumber: fc.oneof(fc.integer(), fc.double(), fc.constant(null), fc.string()),
      records: fc.oneof(
        fc.array(
          fc.record({
            data: fc.oneof(fc.base64String(), fc.constant(null), fc.integer()),
            partitionKey: fc.oneof(fc.string(), fc.constant(undefined)),
            sequenceNumber: fc.oneof(fc.bigInt({ min: 0n }).map(String), fc.string()),
            subSequenceNumber: fc.oneof(fc.nat(), fc.integer(), fc.constant(undefined)),
            approximateArrivalTimestamp: fc.oneof(fc.nat(), fc.constant(null), fc.string()),
          }, { requiredKeys: [] }),
        ),
        fc.json(),
      ),
      reason: fc.oneof(fc.constantFrom("TERMINATE", "ZOMBIE", "LEASE_LOST"), fc.string()),
      error: fc.oneof(fc.string(), fc.constant(null), fc.integer()),
    }, { requiredKeys: [] }).map((value) => JSON.stringify(value)),
  );
  fc.assert(
    fc.property(jsonish, (line) => {
      try {
        const message = parseDaemonMessage(line);
        ok(typeof message.action === "string");
        if (message.action === "processRecords") {
          for (const record of message.records) {
            ok(/^[0-9]+$/.test(record.sequenceNumber));
            ok(typeof record.partitionKey === "string");
          }
        }
      } catch (error) {
        if (!(error instanceof ProtocolError)) throw error;
        strictEqual(error.line, line);
      }
    }),
    { numRuns: 3000 },
  );
});

Deno.test("serializeChildMessage() output always parses back under the daemon's strict rules", () => {
  fc.assert(
    fc.property(
      fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }),
      fc.option(fc.nat()),
      fc.constantFrom("v2" as const, "legacy" as const),
      (sequence, sub, dialect) => {
        const sequenceNumber = String(sequence);
        const line = serializeChildMessage(
          { action: "checkpoint", sequenceNumber, subSequenceNumber: sub },
          { dialect },
        );
        ok(/^[\x20-\x7e]+$/.test(line), "ASCII only, one line");
        const parsed = parseChildMessage(line, { dialect });
        deepStrictEqual(parsed.action === "checkpoint" && parsed.sequenceNumber, sequenceNumber);
      },
    ),
  );
});
