import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { type BatchProcessor, Hub } from "../mod.ts";
import { FakeDaemon } from "../testing.ts";
import { isLive } from "../src/hub/socket.ts";
import { relayWords } from "../src/hub/relay.ts";
import { LineReader } from "../src/transport/line_reader.ts";
import {
  denoRun,
  eventually,
  INITIALIZE,
  processRecordsLine,
  ROOT,
  run,
  TEMPLATE,
} from "./_util.ts";

const encoder = new TextEncoder();

/** A relay as the daemon starts it: stdin and stdout piped, stderr kept. */
function spawnRelay(socket: string) {
  const [command, ...args] = relayWords(socket);
  const child = new Deno.Command(command!, {
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  const lines = new LineReader(child.stdout);
  const stderr = new Response(child.stderr).text();
  return {
    child,
    stderr,
    send: (line: string) => writer.write(encoder.encode(line + "\n")),
    // The daemon skips the empty lines of the framing ("\n" + json + "\n", GetNextMessageTask).
    next: async () => {
      let line = await lines.next();
      while (line === "") line = await lines.next();
      return line;
    },
    closeStdin: () => writer.close(),
  };
}

Deno.test("relay: the daemon closes stdin → the session ends → socat exits 0", async () => {
  const dir = await Deno.makeTempDir();
  const hub = await Hub.listen(() => ({ processRecords() {} }), { socket: `${dir}/hub.sock` });
  const relay = spawnRelay(hub.path);
  await relay.send(INITIALIZE);
  strictEqual(await relay.next(), '{"action":"status","responseFor":"initialize"}');
  await relay.send(processRecordsLine(["a", "b"]));
  strictEqual(await relay.next(), '{"action":"status","responseFor":"processRecords"}');
  await relay.send('{"action":"leaseLost"}');
  strictEqual(await relay.next(), '{"action":"status","responseFor":"leaseLost"}');
  await relay.closeStdin();
  strictEqual(await relay.next(), null, "the relay's stdout ends");
  strictEqual((await relay.child.status).code, 0);
  await eventually(() => hub.sessions.size === 0);
  deepStrictEqual(hub.totals, { connections: 1, ended: 1, failed: 0 });
  strictEqual(await relay.stderr, "");
  await hub.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("relay: a failing session → the hub closes its connection → the daemon reads the end of the relay's output, no status (as when a child dies)", async () => {
  const dir = await Deno.makeTempDir();
  const processor: BatchProcessor = {
    processRecords() {
      throw new Error("cannot process");
    },
  };
  const hub = await Hub.listen(() => processor, {
    socket: `${dir}/hub.sock`,
    onError: { retries: 0 },
  });
  const relay = spawnRelay(hub.path);
  await relay.send(INITIALIZE);
  strictEqual(await relay.next(), '{"action":"status","responseFor":"initialize"}');
  await relay.send(processRecordsLine(["x"]));
  strictEqual(await relay.next(), null, "end of output instead of a status");
  // socat exits on its own half a second later (its -t default), or at once when the daemon
  // closes its stdin (MultiLangShardRecordProcessor.childProcessShutdownSequence): either way 0.
  await relay.closeStdin().catch(() => {});
  strictEqual((await relay.child.status).code, 0);
  deepStrictEqual(hub.totals, { connections: 1, ended: 0, failed: 1 });
  await relay.stderr;
  await hub.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("relay: no hub listening → socat exits non-zero at once, with the reason on stderr", async () => {
  const dir = await Deno.makeTempDir();
  const relay = spawnRelay(`${dir}/none.sock`);
  await relay.send(INITIALIZE).catch(() => {});
  strictEqual(await relay.next(), null);
  await relay.closeStdin().catch(() => {});
  const { code } = await relay.child.status;
  ok(code !== 0, `exit code ${code}`);
  ok((await relay.stderr).includes("No such file or directory"), "socat says why");
  await Deno.remove(dir, { recursive: true });
});

/** Starts `processor.ts hub --socket` and waits until it accepts connections. */
async function startHub(file: string, socket: string, ...extra: string[]) {
  const [command, ...args] = denoRun(file);
  const child = new Deno.Command(command!, {
    args: [...args, "hub", "--socket", socket, ...extra],
    cwd: ROOT,
    env: { KCLTS_LOG_FORMAT: "json" },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const deadline = Date.now() + 20_000;
  while (!(await isLive(socket).catch(() => false))) {
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`the hub did not start: ${await stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { child, stderr };
}

Deno.test("hub command: SIGTERM with open sessions → it keeps serving (even new shards) until the daemon has closed every connection, then exits 0", async () => {
  const dir = await Deno.makeTempDir();
  const socket = `${dir}/run/hub.sock`;
  const hub = await startHub(TEMPLATE, socket);
  const first = await FakeDaemon.connect(socket);
  await first.initialize({ shardId: "shardId-000000000001" });
  hub.child.kill("SIGTERM");
  await new Promise((resolve) => setTimeout(resolve, 300));
  await first.processRecords([{ data: '{"n":1}' }]);
  const late = await FakeDaemon.connect(socket);
  await late.initialize({ shardId: "shardId-000000000002" });
  await late.shardEnded();
  await late.close();
  await first.shutdownRequested();
  await first.leaseLost();
  const closed = Date.now();
  await first.close();
  const status = await hub.child.status;
  const stoppedMs = Date.now() - closed;
  strictEqual(status.code, 0);
  ok(stoppedMs < 2000, `exited ${stoppedMs} ms after the last connection closed`);
  const logs = (await hub.stderr).split("\n").filter((l) => l.startsWith("{")).map((l) =>
    JSON.parse(l)
  );
  ok(logs.some((r) => r.message.includes("stopping once the daemon has closed every connection")));
  ok(
    logs.some((r) =>
      r.logger === "kclts.session" && r.properties.shardId === "shardId-000000000002" &&
      r.message === "Shard ended"
    ),
    "the session logs carry the shard id",
  );
  const summary = logs.find((r) => r.message.startsWith("Hub stopped"));
  deepStrictEqual(
    summary?.properties,
    // Three: the two shards and startHub's readiness probe (a connection that sends nothing).
    { connections: 3, ended: 3, failed: 0, cut: 0 },
    JSON.stringify(summary),
  );
  await Deno.lstat(socket).then(() => ok(false, "socket removed"), () => {});
  await Deno.remove(dir, { recursive: true });
});

Deno.test("hub command: SIGTERM with a session the daemon never closes → cut off after --grace-seconds, exit 1", async () => {
  const dir = await Deno.makeTempDir();
  const socket = `${dir}/hub.sock`;
  const hub = await startHub(TEMPLATE, socket, "--grace-seconds", "1");
  const daemon = await FakeDaemon.connect(socket);
  await daemon.initialize();
  const signalled = Date.now();
  hub.child.kill("SIGTERM");
  deepStrictEqual(await daemon.exited, {}, "the connection was closed");
  const ms = Date.now() - signalled;
  ok(ms >= 900 && ms < 5000, `cut off after ${ms} ms`);
  strictEqual((await hub.child.status).code, 1);
  await daemon.close();
  ok((await hub.stderr).includes("1 cut off"));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("hub command: a program that gives start() one shared instance refuses hub mode with a clear error", async () => {
  const dir = await Deno.makeTempDir();
  const [command, ...args] = denoRun(`${ROOT}/tests/fixtures/noisy_processor.ts`);
  const { code, stdout, stderr } = await run(command!, {
    args: [...args, "hub", "--socket", `${dir}/hub.sock`],
  });
  strictEqual(code, 2);
  ok(stderr.includes("give start() a factory, start(() => new MyProcessor(...))"), stderr);
  strictEqual(stdout.length, 0);
  await Deno.remove(dir, { recursive: true });
});
