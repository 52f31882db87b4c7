import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { denoRun, freePort, INITIALIZE, processRecordsLine, ROOT, TEMPLATE } from "./_util.ts";
import { readStateDir, type StateFile, StateFileWriter } from "../src/metrics/state_file.ts";
import { ShardStats } from "../src/session/stats.ts";
import { PERMISSION_FLAGS } from "../src/runtime/permissions.ts";
import { FakeDaemon } from "../testing.ts";

async function waitFor<T>(check: () => Promise<T | undefined>, ms: number, what: string) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`Timed out: ${what}`);
}

/**
 * Writes a state file as a child would (without the child's timer); with `lock`, holds the lock
 * of a live child too (close the result to release it).
 */
function writeState(dir: string, pid: number, stats: ShardStats, lock = false): Disposable {
  const file: StateFile = { version: 1, pid, reportedAt: Date.now(), ...stats.snapshot() };
  Deno.writeTextFileSync(`${dir}/${pid}.json`, JSON.stringify(file));
  const handle = Deno.openSync(`${dir}/${pid}.lock`, { create: true, write: true });
  if (lock) handle.lockSync(true);
  return { [Symbol.dispose]: () => handle.close() };
}

Deno.test("state file: written only when something changed (or every 5 s), atomically, 0600, removed at the end", () => {
  const dir = Deno.makeTempDirSync();
  try {
    let clock = 1_000_000;
    const stats = new ShardStats(0, () => clock);
    using writer = new StateFileWriter(dir, stats, {
      pid: 77,
      now: () => clock,
      intervalMs: 3_600_000,
    });
    strictEqual(writer.write(), true, "the first write");
    strictEqual((Deno.statSync(writer.path).mode ?? 0) & 0o777, 0o600);
    clock += 1000;
    strictEqual(writer.write(), false, "nothing changed");
    stats.batch(10, 100, 5);
    strictEqual(writer.write(), true, "a batch came");
    const file = JSON.parse(Deno.readTextFileSync(writer.path)) as StateFile;
    deepStrictEqual([file.version, file.pid, file.records, file.reportedAt], [1, 77, 10, clock]);
    clock += 4000;
    strictEqual(writer.write(), false, "unchanged for 4 s");
    clock += 1000;
    strictEqual(writer.write(), true, "unchanged for 5 s: a report that it is alive");
    deepStrictEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["77.json", "77.lock"]);
    writer.close();
    deepStrictEqual([...Deno.readDirSync(dir)], [], "removed at the end");
    strictEqual(writer.write(), false, "nothing after the end");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("state directory: files of processes that are gone are removed, junk is reported, not read", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const stats = new ShardStats(0);
    stats.shardId = "shardId-000000000004";
    stats.batch(3, 30, 0);
    using _a = writeState(dir, 11, stats);
    using _b = writeState(dir, 12, stats);
    Deno.writeTextFileSync(`${dir}/.13.json.tmp`, "{");
    Deno.writeTextFileSync(`${dir}/14.json`, '{"version":1}');
    Deno.writeTextFileSync(`${dir}/notes.txt`, "ignored");
    const { shards, problems } = await readStateDir(dir, (pid) => pid !== 12 && pid !== 13);
    deepStrictEqual(shards.map((s) => [s.pid, s.shardId, s.records]), [[
      11,
      "shardId-000000000004",
      3,
    ]]);
    deepStrictEqual(problems, ["14.json: not a kclts state file"]);
    deepStrictEqual(
      [...Deno.readDirSync(dir)].map((e) => e.name).sort(),
      ["11.json", "11.lock", "14.json", "notes.txt"],
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("child process: with KCLTS_METRICS_DIR it keeps a state file of its shard, and removes it when stdin closes", async () => {
  const dir = Deno.makeTempDirSync();
  const [deno, ...args] = denoRun(TEMPLATE);
  const child = new Deno.Command(deno!, {
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
    env: { KCLTS_METRICS_DIR: dir, KCLTS_LOG_LEVEL: "warning" },
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const writer = child.stdin.getWriter();
  const send = (line: string) => writer.write(new TextEncoder().encode(line + "\n"));
  let buffer = "";
  const status = async () => {
    while (!buffer.includes('"status"')) {
      const { value, done } = await lines.read();
      if (done) throw new Error("the child's stdout ended");
      buffer += value;
    }
    buffer = "";
  };
  try {
    await send(INITIALIZE);
    await status();
    await send(processRecordsLine(["a", "bb", "ccc"]));
    await status();
    const path = `${dir}/${child.pid}.json`;
    const file = await waitFor(
      async () => {
        try {
          const file = JSON.parse(await Deno.readTextFile(path)) as StateFile;
          return file.records === 3 && file.state === "ready" ? file : undefined;
        } catch {
          return undefined;
        }
      },
      5000,
      "the state file shows the batch",
    );
    deepStrictEqual(
      [file.shardId, file.records, file.bytes, file.batches, file.handler, file.pid],
      ["shardId-000000000001", 3, 6, 1, null, child.pid],
    );
    strictEqual((Deno.statSync(path).mode ?? 0) & 0o777, 0o600);
    await writer.close();
    strictEqual((await child.status).code, 0);
    deepStrictEqual([...Deno.readDirSync(dir)], [], "the child removed its file");
  } finally {
    await writer.close().catch(() => {});
    await lines.cancel().catch(() => {});
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("launcher: serves /metrics and /healthz from a private directory and its view of the daemon; the daemon gone stops it", async () => {
  const work = Deno.makeTempDirSync();
  const port = freePort();
  // A stand-in for java: records the directory it was given, then waits.
  const java = `${work}/java`;
  Deno.writeTextFileSync(
    java,
    `#!/bin/sh\necho $$ > "${work}/pid"\necho "$KCLTS_METRICS_DIR" > "${work}/dir"\n` +
      `cat > /dev/null\nexec sleep 300 > /dev/null 2>&1\n`,
    { mode: 0o755 },
  );
  const launcher = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...PERMISSION_FLAGS,
      TEMPLATE,
      "launch",
      "--streamName=s",
      "--regionName=us-east-1",
    ],
    env: {
      KCLTS_JAVA: java,
      KCLTS_JAR: `${work}/java`, // any existing file
      KCLTS_HTTP_PORT: String(port),
      KCLTS_HEALTH_HANDLER_SECONDS: "30",
    },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(launcher.stderr).text();
  try {
    const dir = await waitFor(
      async () => {
        const text = await Deno.readTextFile(`${work}/dir`).catch(() => "");
        return text.trim() || undefined;
      },
      20_000,
      "the daemon started with KCLTS_METRICS_DIR",
    ).catch(async (error) => {
      launcher.kill("SIGKILL");
      throw new Error(`${error.message}; the launcher said: ${await stderr}`);
    });
    strictEqual((Deno.statSync(dir).mode ?? 0) & 0o777, 0o700, "the directory is private");
    // A live child (this test process) holding a shard, and a dead one's leftover.
    const stats = new ShardStats(0);
    stats.shardId = "shardId-000000000007";
    stats.idle("ready");
    stats.batch(25, 250, 1000);
    using _live = writeState(dir, 4242, stats, true);
    writeState(dir, 4343, stats)[Symbol.dispose](); // a child that is gone (its lock is free)
    const base = `http://127.0.0.1:${port}`;
    const metrics = await (await fetch(`${base}/metrics`)).text();
    ok(metrics.includes('kclts_shard_records_total{shard_id="shardId-000000000007"} 25'), metrics);
    ok(metrics.includes("kclts_shards_held 1"), metrics);
    ok(metrics.includes("kclts_daemon_up 1"), metrics);
    deepStrictEqual(
      [...Deno.readDirSync(dir)].map((e) => e.name).sort(),
      ["4242.json", "4242.lock"],
      "the files of the child that is gone are removed",
    );
    const health = await fetch(`${base}/healthz`);
    strictEqual(health.status, 200);
    deepStrictEqual((await health.json()).daemonUp, true);
    // The daemon dies: the launcher exits non-zero, and takes the listener and the directory away.
    const sleeper = Number(Deno.readTextFileSync(`${work}/pid`));
    ok(sleeper > 0, "found the stand-in daemon");
    Deno.kill(sleeper, "SIGKILL");
    const code = (await launcher.status).code;
    strictEqual(code, 137);
    await fetch(`${base}/healthz`).then(
      () => Promise.reject(new Error("still listening")),
      () => {},
    );
    strictEqual(await Deno.stat(dir).then(() => true, () => false), false, "the directory is gone");
    ok((await stderr).includes(`serving /metrics and /healthz on http://127.0.0.1:${port}`));
  } finally {
    const standIn = Number(await Deno.readTextFile(`${work}/pid`).catch(() => "0"));
    if (standIn > 0) {
      try {
        Deno.kill(standIn, "SIGKILL");
      } catch {
        // gone
      }
    }
    try {
      launcher.kill("SIGKILL");
    } catch {
      // exited
    }
    await launcher.status;
    await stderr.catch(() => {});
    Deno.removeSync(work, { recursive: true });
  }
});

Deno.test("hub: serves /metrics and /healthz from its live sessions; a stalled handler and a starved shard turn it unhealthy", async () => {
  const dir = await Deno.makeTempDir();
  const socket = `${dir}/run/hub.sock`;
  const port = freePort();
  const hub = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...PERMISSION_FLAGS,
      `${ROOT}/tests/fixtures/stalling_processor.ts`,
      "hub",
      "--socket",
      socket,
    ],
    env: {
      KCLTS_HTTP_PORT: String(port),
      KCLTS_EMPTY_BATCHES: "true",
      KCLTS_HEALTH_HANDLER_SECONDS: "1",
      KCLTS_HEALTH_STALL_SECONDS: "2",
      STALL_AT: "7",
      KCLTS_LOG_LEVEL: "warning",
    },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(hub.stderr).text();
  const daemons: FakeDaemon[] = [];
  try {
    await waitFor(
      async () => (await Deno.stat(socket).then(() => true, () => false)) || undefined,
      20_000,
      "the hub's socket",
    );
    const base = `http://127.0.0.1:${port}`;
    for (const [i, count] of [[1, 5], [2, 3]] as const) {
      const daemon = await FakeDaemon.connect(socket);
      daemons.push(daemon);
      await daemon.initialize({ shardId: `shardId-00000000000${i}` });
      await daemon.processRecords(
        Array.from({ length: count }, (_, n) => ({ data: JSON.stringify({ n }) })),
      );
    }
    const metrics = await (await fetch(`${base}/metrics`)).text();
    ok(metrics.includes('kclts_shard_records_total{shard_id="shardId-000000000001"} 5'), metrics);
    ok(metrics.includes('kclts_shard_records_total{shard_id="shardId-000000000002"} 3'), metrics);
    ok(metrics.includes("kclts_shards_held 2"), metrics);
    const health = await fetch(`${base}/healthz`);
    strictEqual(health.status, 200, JSON.stringify(await health.clone().json()));
    await health.body?.cancel();
    // Shard 2 gets record 7 and stalls; shard 1 then gets nothing for 2 s.
    const started = Date.now();
    const stalled = daemons[1]!.processRecords([{ data: JSON.stringify({ n: 7 }) }]);
    stalled.catch(() => {}); // the hub is killed at the end
    const body = await waitFor(
      async () => {
        const response = await fetch(`${base}/healthz`);
        const body = await response.json();
        return response.status === 503 && body.reasons.length === 2 ? body : undefined;
      },
      10_000,
      "/healthz turns unhealthy",
    );
    const elapsed = Date.now() - started;
    ok(
      /^shardId-000000000001: no processRecords for [0-9.]+ s \(limit 2 s\)/.test(body.reasons[0]),
      body.reasons[0],
    );
    ok(
      /^shardId-000000000002: processRecords has run for [0-9.]+ s \(limit 1 s\)$/.test(
        body.reasons[1],
      ),
      body.reasons[1],
    );
    ok(elapsed < 4000, `unhealthy after ${elapsed} ms`);
    Deno.stderr.writeSync(
      new TextEncoder().encode(`hub /healthz: 503 ${elapsed} ms after the stalling batch\n`),
    );
    const after = await (await fetch(`${base}/metrics`)).text();
    ok(/kclts_shard_handler_seconds\{shard_id="shardId-000000000002"\} [1-9]/.test(after), after);
  } finally {
    hub.kill("SIGKILL");
    await hub.status;
    await stderr;
    for (const daemon of daemons) await daemon.close();
    await Deno.remove(dir, { recursive: true });
  }
});
