import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import process from "node:process";
import { type BatchProcessor, guardStdout, ProtocolError } from "../mod.ts";
import { FakeDaemon } from "../testing.ts";

const x = new TextEncoder().encode("x");

Deno.test("FakeDaemon (processStdout): a processor writing x with Deno.stdout.write and process.stdout.write in processRecords gets every status", async () => {
  const processor: BatchProcessor = {
    async processRecords({ records, checkpointer }) {
      await Deno.stdout.write(x);
      process.stdout.write("x");
      await checkpointer.checkpoint(records.at(-1));
    },
  };
  await using daemon = new FakeDaemon(processor, { processStdout: true });
  await daemon.initialize();
  await daemon.processRecords([{ sequenceNumber: "10" }]);
  await daemon.processRecords([{ sequenceNumber: "20" }, { sequenceNumber: "30" }]);
  await daemon.shutdownRequested();
  await daemon.leaseLost();
  strictEqual((await daemon.close()).error, undefined);
  deepStrictEqual(
    daemon.output.filter((line) => line.includes('"status"')),
    ["initialize", "processRecords", "processRecords", "shutdownRequested", "leaseLost"].map(
      (action) => `{"action":"status","responseFor":"${action}"}`,
    ),
  );
  deepStrictEqual(daemon.stored, { sequenceNumber: "30", subSequenceNumber: 0 });
  strictEqual(daemon.stray, "x\nx\nx\nx\n");
});

Deno.test("FakeDaemon (processStdout) gives stdout back when the session ends", async () => {
  const before = Object.getOwnPropertyNames(Deno.stdout);
  const daemon = new FakeDaemon({ processRecords() {} }, { processStdout: true });
  ok(Object.getOwnPropertyNames(Deno.stdout).includes("writeSync"));
  await daemon.initialize();
  await daemon.close();
  deepStrictEqual(Object.getOwnPropertyNames(Deno.stdout), before);
});

Deno.test("FakeDaemon skips empty lines as the daemon does, and fails on any other line the daemon would skip", async (t) => {
  const action = (stdout: string) => {
    const holder: { daemon?: FakeDaemon } = {};
    const daemon = new FakeDaemon({
      processRecords() {
        holder.daemon?.writeStdout(stdout);
      },
    });
    holder.daemon = daemon;
    return daemon;
  };
  await t.step("empty lines (\\n, \\r\\n, \\r) are fine", async () => {
    await using daemon = action("\n\r\n\r\n\r");
    await daemon.initialize();
    await daemon.processRecords([{}]);
    await daemon.leaseLost();
  });
  for (const [name, stdout] of [["x", "x"], ["blanks", "  "], ["a tab", "\t"]]) {
    await t.step(`${name} on a line of its own`, async () => {
      const daemon = action(stdout!);
      await daemon.initialize();
      await rejects(
        daemon.processRecords([{}]),
        (error: unknown) =>
          error instanceof ProtocolError &&
          /The real daemon would skip this line/.test(error.message),
      );
      await daemon.close();
    });
  }
  await t.step("x glued onto a message", async () => {
    // What a message without the leading newline would look like.
    const daemon = action('x{"action":"status","responseFor":"processRecords"}\n');
    await daemon.initialize();
    await rejects(
      daemon.processRecords([{}]),
      /a message glued to 1 bytes of other stdout output is lost, and both sides wait for ever/,
    );
    await daemon.close();
  });
});

Deno.test("guardStdout() diverts Deno.stdout.write, writeSync, writable and process.stdout.write, and restores them", async () => {
  const before = Object.getOwnPropertyNames(Deno.stdout);
  let stray = "";
  const guard = guardStdout({
    stray: { writeSync: (bytes) => (stray += new TextDecoder().decode(bytes), bytes.length) },
  });
  try {
    await Deno.stdout.write(x);
    Deno.stdout.writeSync(new TextEncoder().encode("line\n"));
    process.stdout.write("p");
    const writer = Deno.stdout.writable.getWriter();
    await writer.write(x);
    writer.releaseLock();
  } finally {
    guard.restore();
  }
  strictEqual(stray, "x\nline\np\nx\n");
  deepStrictEqual(Object.getOwnPropertyNames(Deno.stdout), before);
});
