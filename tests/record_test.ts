import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { KinesisRecord } from "../mod.ts";

const encoder = new TextEncoder();

function wire(payload: Uint8Array | string, sequenceNumber = "1") {
  const bytes = typeof payload === "string" ? encoder.encode(payload) : payload;
  return new KinesisRecord({
    data: btoa(String.fromCharCode(...bytes)),
    partitionKey: "pk",
    sequenceNumber,
    subSequenceNumber: 0,
    approximateArrivalTimestamp: null,
  });
}

Deno.test("KinesisRecord.data of many small records: each one holds its own payload, across shared buffers", () => {
  // 2,000 x 200 bytes: several 64 KiB buffers, decoded one after the other and read afterwards.
  const payloads = Array.from(
    { length: 2000 },
    (_, i) => `{"id":${i},"pad":"${"é".repeat(i % 90)}"}`.padEnd(200, " "),
  );
  const records = payloads.map((payload, i) => wire(payload, String(i + 1)));
  const data = records.map((record) => record.data);
  data.forEach((bytes, i) => strictEqual(new TextDecoder().decode(bytes), payloads[i]));
  records.forEach((record, i) => strictEqual(record.text(), payloads[i]));
  strictEqual(records[1999]!.json<{ id: number }>().id, 1999);
  // Writing into one payload's bytes leaves its neighbours alone.
  data[10]!.fill(0);
  strictEqual(records[11]!.text(), payloads[11]);
  strictEqual(new TextDecoder().decode(data[9]), payloads[9]);
});

Deno.test("KinesisRecord.data: a payload over 4 KiB has a buffer of its own; data.slice() is a copy", () => {
  const big = new Uint8Array(5000).map((_, i) => i % 251);
  const record = wire(big);
  strictEqual(record.data.buffer.byteLength, 5000);
  deepStrictEqual(record.data, big);
  const small = wire("hello").data;
  const copy = small.slice();
  strictEqual(copy.buffer.byteLength, 5);
  deepStrictEqual(copy, encoder.encode("hello"));
});

Deno.test("KinesisRecord.data: after a shared buffer was transferred away, new payloads decode into a new one", () => {
  const first = wire("first").data;
  const buffer = first.buffer as ArrayBuffer;
  const transferred = structuredClone(buffer, { transfer: [buffer] });
  ok(transferred.byteLength > 0);
  strictEqual(first.byteLength, 0, "the view is detached with its buffer");
  const next = wire("next");
  strictEqual(next.text(), "next");
  deepStrictEqual(next.data, encoder.encode("next"));
});

Deno.test("KinesisRecord.data: invalid base64 names the record", () => {
  const record = new KinesisRecord({
    data: "!!!!",
    partitionKey: "pk",
    sequenceNumber: "42",
    subSequenceNumber: 0,
    approximateArrivalTimestamp: null,
  });
  throws(() => record.data, /Record 42 \(partition key "pk"\) has invalid base64 data/);
});
