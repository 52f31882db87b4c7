import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { connectStreams, LineReader, ProtocolError } from "../mod.ts";
import { bytes, INITIALIZE, processRecordsLine } from "./_util.ts";

async function readAll(reader: LineReader): Promise<string[]> {
  const lines: string[] = [];
  for (let line = await reader.next(); line !== null; line = await reader.next()) lines.push(line);
  return lines;
}

Deno.test("LineReader joins a line split across many chunks", async () => {
  const text = '{"action":"leaseLost"}\n{"action":"shardEnded"}\n';
  const chunks = [...text].map((c) => c); // one character per chunk
  deepStrictEqual(await readAll(new LineReader(bytes(...chunks))), [
    '{"action":"leaseLost"}',
    '{"action":"shardEnded"}',
  ]);
});

Deno.test("LineReader splits many lines in one chunk, keeps blank lines, strips CR", async () => {
  deepStrictEqual(
    await readAll(new LineReader(bytes("a\r\n\nb\n\r\nc"))),
    ["a", "", "b", "", "c"],
  );
});

Deno.test("LineReader keeps multi-byte UTF-8 characters split between chunks", async () => {
  const encoded = new TextEncoder().encode("pk-é€😀\n");
  const chunks = [...encoded].map((b) => new Uint8Array([b]));
  deepStrictEqual(await readAll(new LineReader(bytes(...chunks))), ["pk-é€😀"]);
});

Deno.test("LineReader works with a source that reuses one buffer for every chunk", async () => {
  // Like connectStdio: each chunk is a view of the same buffer, overwritten by the next read.
  const text = `{"pk":"é€😀","pad":"${"x".repeat(300)}"}\r\n\n{"b":"ü"}\n`;
  const encoded = new TextEncoder().encode(text);
  const buffer = new Uint8Array(7); // splits lines and multi-byte characters everywhere
  let at = 0;
  const reader = new LineReader({
    next: () => {
      if (at >= encoded.length) return Promise.resolve(null);
      const n = Math.min(buffer.length, encoded.length - at);
      buffer.fill(0);
      buffer.set(encoded.subarray(at, at + n));
      at += n;
      return Promise.resolve(buffer.subarray(0, n));
    },
  });
  deepStrictEqual(await readAll(reader), [
    `{"pk":"é€😀","pad":"${"x".repeat(300)}"}`,
    "",
    '{"b":"ü"}',
  ]);
  strictEqual(reader.endedMidLine, false);
});

Deno.test("LineReader returns a last line without terminator and says so", async () => {
  const reader = new LineReader(bytes("a\n", "b", "c"));
  deepStrictEqual(await readAll(reader), ["a", "bc"]);
  strictEqual(reader.endedMidLine, true);
  // An incomplete UTF-8 character at the very end is not dropped silently.
  const cut = new TextEncoder().encode("x€").subarray(0, 3); // "x" + 2 of the 3 bytes of "€"
  const truncated = new LineReader(bytes(cut));
  deepStrictEqual(await readAll(truncated), ["x\uFFFD"]);
  strictEqual(truncated.endedMidLine, true);
});

Deno.test("LineReader reads a 16 MiB line in 64 KiB chunks in linear time", async () => {
  const size = 16 * 1024 * 1024;
  const line = new Uint8Array(size + 1).fill(97);
  line[size] = 10;
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < line.length; at += 65536) chunks.push(line.subarray(at, at + 65536));
  const started = performance.now();
  const lines = await readAll(new LineReader(bytes(...chunks, "tail\n")));
  const elapsed = performance.now() - started;
  strictEqual(lines.length, 2);
  strictEqual(lines[0]?.length, size);
  strictEqual(lines[1], "tail");
  // Quadratic joining of 257 chunks would copy ~2 GiB; linear is a few tens of ms.
  ok(elapsed < 2000, `took ${elapsed} ms`);
});

Deno.test("connectStreams() reads a processRecords line of 10,000 records", async () => {
  const payloads = Array.from(
    { length: 10_000 },
    (_, i) => `{"n":${i},"pad":"${"x".repeat(1000)}"}`,
  );
  const line = processRecordsLine(payloads);
  ok(line.length > 14_000_000, `line is ${line.length} bytes`);
  const encoded = new TextEncoder().encode(line + "\n");
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < encoded.length; at += 65536) chunks.push(encoded.subarray(at, at + 65536));
  const connection = connectStreams(bytes(...chunks), new WritableStream());
  const message = await connection.read();
  strictEqual(message?.action, "processRecords");
  strictEqual(message.action === "processRecords" && message.records.length, 10_000);
  strictEqual(await connection.read(), null);
  await connection.close();
});

Deno.test("connectStreams() skips blank lines and reports the end of input", async () => {
  const connection = connectStreams(
    bytes("\n  \n" + INITIALIZE + "\n\n\r\n"),
    new WritableStream(),
  );
  strictEqual((await connection.read())?.action, "initialize");
  strictEqual(await connection.read(), null);
  strictEqual(await connection.read(), null, "the end is sticky");
  ok(connection.ended.aborted);
  await connection.close();
});

Deno.test("connectStreams() treats an unfinished last line as the end of input, not a bad message", async () => {
  const connection = connectStreams(
    bytes(INITIALIZE + "\n", '{"action":"processRec'),
    new WritableStream(),
  );
  strictEqual((await connection.read())?.action, "initialize");
  strictEqual(await connection.read(), null);
  strictEqual(connection.truncated, '{"action":"processRec'.length);
  await connection.close();
});

Deno.test("connectStreams() turns a bad line into a ProtocolError", async () => {
  const connection = connectStreams(bytes("hello\n"), new WritableStream());
  await rejects(connection.read(), (error: unknown) => {
    ok(error instanceof ProtocolError);
    strictEqual(error.line, "hello");
    return true;
  });
  await connection.close();
});

Deno.test("connectStreams() notices the end of input while nobody reads", async () => {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const input = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
  const connection = connectStreams(input, new WritableStream());
  controller.enqueue(new TextEncoder().encode('{"action":"leaseLost"}\n'));
  strictEqual((await connection.read())?.action, "leaseLost");
  ok(!connection.ended.aborted);
  const aborted = new Promise((resolve) => connection.ended.addEventListener("abort", resolve));
  controller.close(); // the daemon closes stdin while the session is busy elsewhere
  await aborted;
  ok(connection.ended.aborted);
  await connection.close();
});

Deno.test("connectStreams() frames each message as one line between newlines, in call order", async () => {
  const chunks: string[] = [];
  const connection = connectStreams(
    bytes(),
    new WritableStream({
      async write(chunk) {
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
        chunks.push(new TextDecoder().decode(chunk));
      },
    }),
  );
  await Promise.all(
    Array.from(
      { length: 50 },
      (_, i) =>
        connection.write({ action: "checkpoint", sequenceNumber: String(i), subSequenceNumber: 0 }),
    ),
  );
  strictEqual(chunks.length, 50);
  chunks.forEach((chunk, i) =>
    strictEqual(
      chunk,
      `\n{"action":"checkpoint","sequenceNumber":"${i}","subSequenceNumber":0}\n`,
    )
  );
  await connection.close();
});

Deno.test("connectStreams() traces both directions", async () => {
  const traced: string[] = [];
  const connection = connectStreams(bytes(INITIALIZE + "\n"), new WritableStream(), {
    trace: (direction, line) => traced.push(`${direction} ${line}`),
  });
  await connection.read();
  await connection.write({ action: "status", responseFor: "initialize" });
  deepStrictEqual(traced, [
    `in ${INITIALIZE}`,
    'out {"action":"status","responseFor":"initialize"}',
  ]);
  await connection.close();
});
