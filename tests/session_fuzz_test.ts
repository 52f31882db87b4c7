import { ok } from "node:assert/strict";
import fc from "fast-check";
import { parseChildMessage, ProcessingError, ProtocolError, run } from "../mod.ts";
import { INITIALIZE, memoryPipe, processRecordsLine } from "./_util.ts";

const validLines = [
  processRecordsLine(["a", "b"]),
  '{"action":"shutdownRequested"}',
  '{"action":"leaseLost"}',
  '{"action":"shardEnded"}',
];

Deno.test("the session fed random and malformed lines ends with a typed error or cleanly, and writes only protocol lines", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.oneof(
          fc.constantFrom(...validLines),
          fc.string({ maxLength: 40 }),
          fc.json({ maxDepth: 2 }),
          fc.constantFrom(
            '{"action":"processRecords","records":[{}]}',
            '{"action":"checkpoint"}',
            "[]",
            "{",
            '{"action":null}',
          ),
        ),
        { maxLength: 6 },
      ),
      async (lines) => {
        const pipe = memoryPipe();
        const session = run({
          async processRecords({ checkpointer }) {
            await checkpointer.checkpoint().catch(() => {});
          },
        }, { connection: pipe.connection, statsIntervalSeconds: 0 });
        pipe.send(INITIALIZE);
        for (const line of lines) {
          if (line.includes("\n")) continue;
          pipe.send(line);
        }
        pipe.end();
        try {
          await session;
        } catch (error) {
          ok(
            error instanceof ProtocolError || error instanceof ProcessingError,
            `untyped failure: ${error}`,
          );
        }
        for (const line of pipe.written()) parseChildMessage(line);
      },
    ),
    { numRuns: 300 },
  );
});
