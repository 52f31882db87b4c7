import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { parseChildMessage } from "../mod.ts";
import { denoRun, INITIALIZE, processRecordsLine, TEMPLATE } from "./_util.ts";
import { PERMISSION_FLAGS } from "../src/runtime/permissions.ts";

const NOISY = new URL("./fixtures/noisy_processor.ts", import.meta.url).pathname;
const STRAY = new URL("./fixtures/stray_stdout_processor.ts", import.meta.url).pathname;

interface Exchange {
  code: number;
  /** The non-empty lines of stdout. */
  stdout: string[];
  /** The lines the daemon would log and skip ("Skipping unexpected line", GetNextMessageTask). */
  skipped: string[];
  /** Stdout as written. */
  raw: string;
  stderr: string;
}

/**
 * Runs a processor file as the daemon would: skips empty lines silently and
 * other lines it cannot parse with a note (a line holding a glued message
 * fails the test at once: the daemon would wait for ever), answers each
 * checkpoint request with success, sends the next line after each status,
 * then closes stdin.
 */
async function converse(
  file: string,
  lines: string[],
  options: { env?: Record<string, string>; signalAfterInit?: Deno.Signal } = {},
): Promise<Exchange> {
  const child = new Deno.Command(denoRun(file)[0]!, {
    args: denoRun(file).slice(1),
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { KCLTS_LOG_LEVEL: "info", ...options.env },
  }).spawn();
  const stderrText = new Response(child.stderr).text();
  const writer = child.stdin.getWriter();
  const encoder = new TextEncoder();
  const stdout: string[] = [];
  const skipped: string[] = [];
  let raw = "";
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  async function nextLine(): Promise<string | null> {
    while (!buffer.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) return null;
      buffer += value;
      raw += value;
    }
    const at = buffer.indexOf("\n");
    const line = buffer.slice(0, at);
    buffer = buffer.slice(at + 1);
    return line;
  }
  for (const line of lines) {
    await writer.write(encoder.encode(line + "\n"));
    while (true) {
      const out = await nextLine();
      if (out === null) break;
      if (out === "") continue;
      stdout.push(out);
      let message;
      try {
        message = parseChildMessage(out);
      } catch (error) {
        if (out.includes('{"action"')) {
          child.kill("SIGKILL");
          await child.status;
          await writer.close().catch(() => {});
          await reader.cancel();
          await stderrText;
          throw new Error(
            `a message glued to other output: the daemon would wait for ever: ${out}`,
            {
              cause: error,
            },
          );
        }
        skipped.push(out);
        continue;
      }
      if (message.action === "status") break;
      await writer.write(encoder.encode(
        JSON.stringify({
          action: "checkpoint",
          sequenceNumber: message.sequenceNumber,
          subSequenceNumber: message.subSequenceNumber,
          error: null,
        }) + "\n",
      ));
    }
    if (options.signalAfterInit && line === lines[0]) {
      child.kill(options.signalAfterInit);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  await writer.close().catch(() => {});
  for (let line = await nextLine(); line !== null; line = await nextLine()) {
    if (line !== "") stdout.push(line);
  }
  if (buffer !== "") stdout.push(buffer);
  const { code } = await child.status;
  return { code, stdout, skipped, raw, stderr: await stderrText };
}

const SESSION = [
  INITIALIZE,
  processRecordsLine(['{"orderId":1}', '{"orderId":2}', "plain text"]),
  '{"action":"shutdownRequested"}',
  '{"action":"leaseLost"}',
];

Deno.test("the template processor writes only protocol lines to stdout, even with console.log", async () => {
  const { code, stdout, stderr } = await converse(TEMPLATE, SESSION);
  strictEqual(code, 0, stderr);
  for (const line of stdout) parseChildMessage(line);
  deepStrictEqual(stdout, [
    '{"action":"status","responseFor":"initialize"}',
    '{"action":"status","responseFor":"processRecords"}',
    '{"action":"checkpoint","sequenceNumber":"49590338271490256608559692538361571095921575989136588900","subSequenceNumber":0}',
    '{"action":"status","responseFor":"shutdownRequested"}',
    '{"action":"status","responseFor":"leaseLost"}',
  ]);
  ok(stderr.includes("Processing shardId-000000000001 from TRIM_HORIZON"), stderr);
  ok(stderr.includes("Processed 3 records"), stderr);
});

Deno.test("every console method of user code goes to stderr", async () => {
  const { code, stdout, stderr } = await converse(NOISY, [
    INITIALIZE,
    processRecordsLine(["a"]),
    '{"action":"shardEnded"}',
  ]);
  strictEqual(code, 0, stderr);
  deepStrictEqual(stdout, [
    '{"action":"status","responseFor":"initialize"}',
    '{"action":"checkpoint","sequenceNumber":"49590338271490256608559692538361571095921575989136588898","subSequenceNumber":0}',
    '{"action":"status","responseFor":"processRecords"}',
    '{"action":"checkpoint","sequenceNumber":null,"subSequenceNumber":null}',
    '{"action":"status","responseFor":"shardEnded"}',
  ]);
  for (
    const text of [
      "log from initialize",
      "info from processRecords",
      "debug from shardEnded",
      'dir: "processRecords"',
      "dirxml from initialize",
      'table: "initialize"',
      "group from shardEnded",
      "  inside group",
      "initialize: 1",
      "warn from processRecords",
      "error from shardEnded",
    ]
  ) {
    ok(stderr.includes(text), `stderr lacks ${text}:\n${stderr}`);
  }
});

Deno.test("the processor ignores SIGTERM and SIGINT and exits 0 when stdin closes; it says so at debug level only", async () => {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    const { code, stdout, stderr } = await converse(TEMPLATE, SESSION, { signalAfterInit: signal });
    strictEqual(code, 0, stderr);
    strictEqual(stdout.length, 5);
    ok(!stderr.includes("Ignoring"), `not at info (one line per shard on Ctrl+C):\n${stderr}`);
    const debug = await converse(TEMPLATE, SESSION, {
      signalAfterInit: signal,
      env: { KCLTS_LOG_LEVEL: "debug" },
    });
    strictEqual(debug.code, 0, debug.stderr);
    strictEqual(debug.stderr.split(`Ignoring ${signal}`).length - 1, 1, debug.stderr);
  }
});

Deno.test('a graceful shutdown (shutdownRequested, then leaseLost) logs no "Lease lost" at info; a lease really lost does', async () => {
  const graceful = await converse(TEMPLATE, SESSION);
  strictEqual(graceful.code, 0, graceful.stderr);
  ok(graceful.stderr.includes("Shutdown requested"), graceful.stderr);
  ok(!graceful.stderr.includes("Lease lost"), graceful.stderr);
  const lost = await converse(TEMPLATE, [SESSION[0]!, SESSION[1]!, '{"action":"leaseLost"}']);
  strictEqual(lost.code, 0, lost.stderr);
  ok(lost.stderr.includes("Lease lost"), lost.stderr);
});

Deno.test("a malformed line is a clear error on stderr and a non-zero exit", async () => {
  const { code, stdout, stderr } = await converse(TEMPLATE, [
    INITIALIZE,
    '{"action":"dance","x":1}',
  ]);
  strictEqual(code, 1);
  deepStrictEqual(stdout, ['{"action":"status","responseFor":"initialize"}']);
  ok(stderr.includes('unknown action "dance": {"action":"dance","x":1}'), stderr);
});

Deno.test("KCLTS_TRACE copies every protocol line to stderr, and KCLTS_LOG_FORMAT=json writes JSON lines", async () => {
  const { code, stderr } = await converse(TEMPLATE, SESSION, {
    env: { KCLTS_TRACE: "1", KCLTS_LOG_FORMAT: "json" },
  });
  strictEqual(code, 0, stderr);
  const records = stderr.split("\n").filter((line) => line.startsWith("{")).map((line) =>
    JSON.parse(line)
  );
  ok(records.length > 5);
  const traced = records.filter((r) => r.logger === "kclts.protocol").map((r) =>
    `${r.properties.arrow} ${r.properties.line}`
  );
  deepStrictEqual(traced.slice(0, 2), [
    `<< ${INITIALIZE}`,
    '>> {"action":"status","responseFor":"initialize"}',
  ]);
  strictEqual(
    traced.length,
    2 * SESSION.length + 2,
    "4 messages, 4 statuses, a checkpoint and its reply",
  );
});

Deno.test("a bad KCLTS_LOG_LEVEL stops the processor with a clear message", async () => {
  const { code, stderr } = await converse(TEMPLATE, [], { env: { KCLTS_LOG_LEVEL: "loud" } });
  strictEqual(code, 2);
  ok(
    stderr.includes(
      'KCLTS_LOG_LEVEL must be one of trace, debug, info, warning, error, fatal: got "loud"',
    ),
    stderr,
  );
});

Deno.test("the template rejects a bad checkpoint setting with a clear message", async () => {
  const { code, stderr } = await converse(TEMPLATE, [INITIALIZE], {
    env: { RECORDS_PER_CHECKPOINT: "ten" },
  });
  strictEqual(code, 2);
  ok(stderr.includes('RECORDS_PER_CHECKPOINT must be a whole number >= 0: got "ten"'), stderr);
});

Deno.test("--help and --version describe the program", async () => {
  for (const [flag, expected] of [["--help", "Usage:"], ["--version", "(kclts "]]) {
    const [cmd, ...args] = denoRun(TEMPLATE);
    const { code, stdout } = await new Deno.Command(cmd!, { args: [...args, flag!] }).output();
    strictEqual(code, 0);
    ok(new TextDecoder().decode(stdout).includes(expected!));
  }
  const [cmd, ...args] = denoRun(TEMPLATE);
  const bad = await new Deno.Command(cmd!, { args: [...args, "--bogus"] }).output();
  strictEqual(bad.code, 2);
  ok(new TextDecoder().decode(bad.stderr).includes("--bogus"));
});

Deno.test("started by hand on a terminal, the processor explains itself instead of waiting", async () => {
  const command = denoRun(TEMPLATE).join(" ");
  const { code, stdout } = await new Deno.Command("script", {
    args: ["-qec", command, "/dev/null"],
    stdin: "null",
  }).output();
  const text = new TextDecoder().decode(stdout);
  strictEqual(code, 2, text);
  ok(text.includes("It is not meant to be run by hand"), text);
});

const STRAY_SESSION = [
  INITIALIZE,
  processRecordsLine(['{"n":1}', '{"n":2}']),
  processRecordsLine(['{"n":3}'], {
    firstSequence: 49590338271490256608559692538361571095921575989136588900n,
  }),
  '{"action":"shutdownRequested"}',
  '{"action":"leaseLost"}',
];

Deno.test("stray stdout writes without a newline (Deno.stdout.write, writeSync, process.stdout.write) go to stderr, and every status arrives", async () => {
  const { code, stdout, skipped, raw, stderr } = await converse(STRAY, STRAY_SESSION);
  strictEqual(code, 0, stderr);
  deepStrictEqual(skipped, []);
  deepStrictEqual(stdout, [
    '{"action":"status","responseFor":"initialize"}',
    '{"action":"status","responseFor":"processRecords"}',
    '{"action":"status","responseFor":"processRecords"}',
    '{"action":"checkpoint","sequenceNumber":"49590338271490256608559692538361571095921575989136588900","subSequenceNumber":0}',
    '{"action":"status","responseFor":"shutdownRequested"}',
    '{"action":"status","responseFor":"leaseLost"}',
  ]);
  // Every message is framed as "\n" + json + "\n".
  strictEqual(raw, stdout.map((line) => `\n${line}\n`).join(""));
  // Three writes per batch, two batches; each diverted write ends a line of stderr.
  strictEqual(stderr.split("\n").filter((line) => line === "x").length, 6, stderr);
});

Deno.test("bytes written to file descriptor 1 directly (node:fs) land on a line of their own: the daemon skips them, every status arrives", async () => {
  const { code, stdout, skipped, stderr } = await converse(STRAY, STRAY_SESSION, {
    env: { STRAY_FD1: "1" },
  });
  strictEqual(code, 0, stderr);
  deepStrictEqual(skipped, ["y", "y"]);
  deepStrictEqual(
    stdout.filter((line) => line.includes('"status"')).map((line) => parseChildMessage(line)),
    ["initialize", "processRecords", "processRecords", "shutdownRequested", "leaseLost"].map(
      (responseFor) => ({ action: "status", responseFor }),
    ),
  );
});

Deno.test("the banner suggests the launch command that works from where the program runs", async () => {
  const banner = async (cwd: string) => {
    const { stdout } = await new Deno.Command("script", {
      args: ["-qec", denoRun(TEMPLATE).join(" "), "/dev/null"],
      cwd,
      stdin: "null",
    }).output();
    return new TextDecoder().decode(stdout).replaceAll("\r", "");
  };
  const root = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
  // In the repository, deno.json's processor task runs the template.
  const inRepo = await banner(root);
  ok(inRepo.includes("AWS_REGION=eu-west-1 deno task processor launch\n"), inRepo);
  ok(inRepo.includes("More: deno task processor --help\n"), inRepo);
  // Elsewhere, deno run with the binary's flags and the module's path.
  const elsewhere = await Deno.makeTempDir();
  try {
    const text = await banner(elsewhere);
    const expected = ["deno", "run", ...PERMISSION_FLAGS]
      .join(" ") + ` ${TEMPLATE} launch\n`;
    ok(text.includes(`AWS_REGION=eu-west-1 ${expected}`), text);
  } finally {
    await Deno.remove(elsewhere);
  }
});
