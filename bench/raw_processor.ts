/**
 * A minimal hand-written KCL MultiLangDaemon child, used by the benchmark as a lower bound for
 * what a Deno processor can do (and to validate the harness). It speaks the protocol directly,
 * without the kclts library:
 *
 * - reads STDIN into one growable buffer and cuts lines at `\n` (each byte is scanned once and
 *   copied at most when the buffer grows, so multi-megabyte `processRecords` lines stay linear);
 * - for every record: base64 → bytes (`Uint8Array.fromBase64`) → UTF-8 text → `JSON.parse`,
 *   folding each result into a checksum so the work cannot be optimised away;
 * - checkpoints at the last sequence number after every batch and with `null` on `shardEnded`;
 * - exits with code 0 at STDIN EOF. Only protocol lines go to STDOUT; the checksum goes to STDERR.
 *
 * Run: `deno run bench/raw_processor.ts` (needs no permissions).
 *
 * @module
 */

const LF = 10;
const CR = 13;
const encoder = new TextEncoder();
const textDecoder = new TextDecoder();

/** Reads `\n`-terminated lines from STDIN into a reusable, growable buffer. */
class StdinLines {
  #buffer = new Uint8Array(1 << 20);
  /** Start of the first unconsumed byte. */
  #start = 0;
  /** End of the bytes read so far. */
  #end = 0;
  /** Where to resume scanning for `\n` (bytes before it have been scanned). */
  #scan = 0;
  #eof = false;

  async next(): Promise<string | null> {
    while (true) {
      const at = this.#buffer.subarray(0, this.#end).indexOf(LF, this.#scan);
      if (at !== -1) {
        let stop = at;
        if (stop > this.#start && this.#buffer[stop - 1] === CR) stop--;
        const line = textDecoder.decode(this.#buffer.subarray(this.#start, stop));
        this.#start = this.#scan = at + 1;
        return line;
      }
      this.#scan = this.#end;
      if (this.#eof) {
        if (this.#start === this.#end) return null;
        const line = textDecoder.decode(this.#buffer.subarray(this.#start, this.#end));
        this.#start = this.#scan = this.#end;
        return line;
      }
      this.#makeRoom();
      const n = await Deno.stdin.read(this.#buffer.subarray(this.#end));
      if (n === null) this.#eof = true;
      else this.#end += n;
    }
  }

  /** Moves the partial line to the front, or doubles the buffer when it is full. */
  #makeRoom(): void {
    if (this.#start > 0) {
      this.#buffer.copyWithin(0, this.#start, this.#end);
      this.#end -= this.#start;
      this.#scan -= this.#start;
      this.#start = 0;
    }
    if (this.#end === this.#buffer.length) {
      const bigger = new Uint8Array(this.#buffer.length * 2);
      bigger.set(this.#buffer);
      this.#buffer = bigger;
    }
  }
}

function writeAll(fd: typeof Deno.stdout | typeof Deno.stderr, text: string): void {
  let bytes = encoder.encode(text);
  while (bytes.length > 0) bytes = bytes.subarray(fd.writeSync(bytes));
}

function fatal(message: string): never {
  writeAll(Deno.stderr, `raw_processor: ${message}\n`);
  Deno.exit(1);
}

interface KclRecord {
  data: string | null;
  sequenceNumber: string;
}

const lines = new StdinLines();
let checksum = 0;
let records = 0;

async function checkpoint(sequenceNumber: string | null): Promise<void> {
  writeAll(
    Deno.stdout,
    `{"action":"checkpoint","sequenceNumber":${JSON.stringify(sequenceNumber)}}\n`,
  );
  const line = await lines.next();
  if (line === null) fatal("STDIN closed while waiting for a checkpoint response");
  const reply = JSON.parse(line) as { action?: string; error?: string | null };
  if (reply.action !== "checkpoint") fatal(`expected a checkpoint response, got ${line}`);
  if (reply.error !== null && reply.error !== undefined) fatal(`checkpoint failed: ${reply.error}`);
}

function status(action: string): void {
  writeAll(Deno.stdout, `{"action":"status","responseFor":"${action}"}\n`);
}

for (let line = await lines.next(); line !== null; line = await lines.next()) {
  if (line === "") continue;
  const message = JSON.parse(line) as { action: string; records?: KclRecord[] };
  switch (message.action) {
    case "processRecords": {
      const batch = message.records ?? [];
      for (const record of batch) {
        if (record.data === null) continue;
        const text = textDecoder.decode(Uint8Array.fromBase64(record.data));
        const value = JSON.parse(text) as { id?: unknown };
        checksum = (checksum + (typeof value.id === "number" ? value.id : 0) + text.length) | 0;
        records++;
      }
      const last = batch.at(-1);
      if (last !== undefined) await checkpoint(last.sequenceNumber);
      status("processRecords");
      break;
    }
    case "shardEnded":
      await checkpoint(null);
      status("shardEnded");
      break;
    case "initialize":
    case "leaseLost":
    case "shutdownRequested":
      status(message.action);
      break;
    default:
      fatal(`unexpected action ${JSON.stringify(message.action)}`);
  }
}
writeAll(Deno.stderr, `raw_processor: ${records} records, checksum ${checksum}\n`);
