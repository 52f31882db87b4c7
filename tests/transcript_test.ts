/**
 * Replays sessions recorded against the real KCL 3.1.3 daemon
 * (tests/fixtures/transcripts, see the README there): every daemon line must
 * parse, every child line must pass the daemon's strict parser, and the
 * kclts session, asked to make the same checkpoints, must write the same
 * lines in the same order.
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import {
  type BatchProcessor,
  CheckpointError,
  parseChildMessage,
  parseDaemonMessage,
  run,
  serializeChildMessage,
} from "../mod.ts";
import { memoryPipe } from "./_util.ts";

interface Line {
  dir: "in" | "out";
  line: string;
  /** A request the recorded child made without a position (rewritten, see {@linkcode actions}). */
  noArgument?: boolean;
}

const DIR = new URL("./fixtures/transcripts/", import.meta.url);
const transcripts: [string, Line[]][] = [];
for await (const entry of Deno.readDir(DIR)) {
  if (!entry.name.endsWith(".jsonl")) continue;
  const text = await Deno.readTextFile(new URL(entry.name, DIR));
  transcripts.push([
    entry.name,
    text.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as Line),
  ]);
}
transcripts.sort(([a], [b]) => a.localeCompare(b));

Deno.test("recorded transcripts are present", () => {
  ok(transcripts.length >= 4, `only ${transcripts.length} transcripts`);
});

Deno.test("every line of the recorded daemon sessions parses, and child lines re-serialize identically", () => {
  let daemonLines = 0;
  for (const [name, lines] of transcripts) {
    for (const { dir, line } of lines) {
      if (dir === "in") {
        const message = parseDaemonMessage(line);
        ok(message.action, name);
        daemonLines++;
      } else {
        strictEqual(serializeChildMessage(parseChildMessage(line)), line, `${name}: ${line}`);
      }
    }
  }
  ok(daemonLines > 20);
});

/**
 * Groups a transcript into daemon actions with the lines exchanged while each
 * was handled.
 *
 * The recording child sent a null sequence number for "everything delivered"
 * outside `shardEnded`; kclts sends the last record delivered instead (a null
 * one would be resolved by the daemon when it arrives, see
 * `ShardRecordProcessorCheckpointer.checkpoint()`), and the daemon echoes the
 * request's position in its reply (`MultiLangProtocol.checkpoint`). Those
 * exchanges are rewritten accordingly; before any record was delivered kclts
 * sends nothing, so they are dropped.
 */
function actions(lines: Line[]) {
  const result: { action: string; line: string; exchange: Line[] }[] = [];
  let last: { sequenceNumber: string; subSequenceNumber: number } | null = null;
  for (const entry of lines) {
    if (entry.dir === "in") {
      const message = parseDaemonMessage(entry.line);
      if (message.action === "processRecords") {
        const record = message.records.at(-1);
        if (record) last = record;
      }
      if (message.action !== "checkpoint") {
        result.push({ action: message.action, line: entry.line, exchange: [] });
        continue;
      }
    }
    const step = result.at(-1);
    if (!step) continue;
    const atShardEnd = step.action === "shardEnded";
    const noCheckpointer = step.action === "initialize" || step.action === "leaseLost";
    const parsed = entry.dir === "in"
      ? parseDaemonMessage(entry.line)
      : parseChildMessage(entry.line);
    if (
      parsed.action === "checkpoint" && parsed.sequenceNumber === null && !atShardEnd &&
      !noCheckpointer
    ) {
      if (!last) continue;
      const position = {
        sequenceNumber: last.sequenceNumber,
        subSequenceNumber: last.subSequenceNumber,
      };
      step.exchange.push({
        dir: entry.dir,
        noArgument: true,
        line: entry.dir === "out"
          ? serializeChildMessage({ action: "checkpoint", ...position })
          : JSON.stringify({
            action: "checkpoint",
            ...position,
            error: (parsed as unknown as { error: string | null }).error,
          }),
      });
      continue;
    }
    step.exchange.push(entry);
  }
  return result;
}

for (const [name, lines] of transcripts) {
  Deno.test(`kclts reproduces the child side of ${name}`, async () => {
    const steps = actions(lines);
    // The recorded child's explicit checkpoints, per action, in order.
    const requested = steps.map((step) =>
      step.exchange.filter((l) => l.dir === "out").map((l) => {
        const message = parseChildMessage(l.line);
        return message.action === "checkpoint" && l.noArgument
          ? { ...message, sequenceNumber: null, subSequenceNumber: null }
          : message;
      }).filter((m) => m.action === "checkpoint")
    );
    let index = -1;
    const refused: string[] = [];
    const checkpointAll = async (
      checkpointer: { checkpoint(s?: string, sub?: number): Promise<void> },
      step: number,
      skipNull: boolean,
    ) => {
      for (const request of requested[step] ?? []) {
        if (request.action !== "checkpoint") continue;
        if (skipNull && request.sequenceNumber === null) continue; // kclts sends this one itself
        try {
          await checkpointer.checkpoint(
            request.sequenceNumber ?? undefined,
            request.sequenceNumber === null ? undefined : request.subSequenceNumber ?? 0,
          );
        } catch (error) {
          if (error instanceof CheckpointError) refused.push(`${error.name}/${error.attempts}`);
          else throw error;
        }
      }
    };
    const processor: BatchProcessor = {
      initialize() {
        index++;
      },
      async processRecords({ checkpointer }) {
        index++;
        await checkpointAll(checkpointer, index, false);
      },
      async shutdownRequested({ checkpointer }) {
        index++;
        await checkpointAll(checkpointer, index, false);
      },
      async shardEnded({ checkpointer }) {
        index++;
        await checkpointAll(checkpointer, index, true);
      },
      leaseLost() {
        index++;
      },
    };
    const pipe = memoryPipe();
    const session = run(processor, { connection: pipe.connection, statsIntervalSeconds: 0 });
    // The daemon side: send each action, answer each checkpoint as recorded.
    const expected: string[] = [];
    for (const step of steps) {
      pipe.send(step.line);
      const noCheckpointer = step.action === "initialize" || step.action === "leaseLost";
      for (const entry of step.exchange) {
        // kclts refuses checkpoints itself where the daemon has no checkpointer,
        // so those recorded exchanges do not happen on the wire.
        if (noCheckpointer && !entry.line.includes('"status"')) continue;
        if (entry.dir === "out") expected.push(entry.line);
        else {
          const before = pipe.written().length;
          while (pipe.written().length < before + 1 && pipe.written().length < expected.length) {
            await new Promise((resolve) => setTimeout(resolve, 1));
          }
          pipe.send(entry.line);
        }
      }
      while (pipe.written().length < expected.length) {
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    }
    pipe.end();
    await session;
    ok(expected.length >= 1);
    deepStrictEqual(pipe.written(), expected);
    // Byte for byte what the recording child wrote: "\n" + json + "\n" per message.
    strictEqual(pipe.raw(), expected.map((line) => `\n${line}\n`).join(""));
    for (const reason of refused) {
      // Refusals come from the recorded daemon answers, or from kclts itself (attempts 0)
      // for checkpoints asked where the daemon has no checkpointer.
      ok(
        /^(IllegalArgumentException|InvalidStateException|ShutdownException)\/[01]$/.test(reason),
        reason,
      );
    }
  });
}
