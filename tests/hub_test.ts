import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { type BatchProcessor, Hub, RecordProcessor } from "../mod.ts";
import { FakeDaemon } from "../testing.ts";
import { listenHubSocket } from "../src/hub/socket.ts";
import { eventually } from "./_util.ts";

/** A private directory for one test's socket (removed at the end). */
async function privateDir(): Promise<string & AsyncDisposable> {
  const dir = await Deno.makeTempDir({ prefix: "kclts-hub-" });
  return Object.assign(new String(dir) as string, {
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }).catch(() => {}),
  }) as string & AsyncDisposable;
}

class Counting extends RecordProcessor {
  static made = 0;
  shardId = "";
  values: string[] = [];
  constructor() {
    super({ checkpointFreqSeconds: 0, recordsPerCheckpoint: 2 });
    Counting.made++;
  }
  override initialize({ shardId }: { shardId: string }): void {
    this.shardId = shardId;
  }
  override processRecord(_data: Uint8Array, _pk: string, _seq: string, record: { text(): string }) {
    this.values.push(record.text());
  }
}

Deno.test("hub: 24 concurrent shard sessions over the Unix socket, each with its own processor, checkpoints and SHARD_END", async () => {
  await using dir = await privateDir();
  const processors: Counting[] = [];
  const hub = await Hub.listen(() => {
    const p = new Counting();
    processors.push(p);
    return p;
  }, { socket: `${dir}/hub.sock`, statsIntervalSeconds: 0 });
  const shards = Array.from({ length: 24 }, (_, i) => `shardId-${String(i).padStart(12, "0")}`);
  const daemons = await Promise.all(shards.map(() => FakeDaemon.connect(hub.path)));
  await eventually(() => hub.sessions.size === 24); // one live session per connection
  await Promise.all(daemons.map(async (daemon, i) => {
    await daemon.initialize({ shardId: shards[i]! });
    for (let batch = 0; batch < 5; batch++) {
      const { checkpoints } = await daemon.processRecords([
        { data: `${shards[i]}/${batch}/a` },
        { data: `${shards[i]}/${batch}/b` },
      ]);
      // recordsPerCheckpoint 2: one checkpoint per batch, at its last record.
      strictEqual(checkpoints.length, 1);
      strictEqual(checkpoints[0]!.error, null);
    }
  }));
  const live = [...hub.sessions].map((
    s,
  ) => [s.stats.shardId, s.stats.records, s.stats.checkpoints]);
  deepStrictEqual(
    live.sort(),
    shards.map((shard) => [shard, 10, 5]).sort(),
    "the hub's live sessions carry each shard's counters",
  );
  await Promise.all(daemons.map(async (daemon) => {
    const { checkpoints } = await daemon.shardEnded();
    deepStrictEqual(checkpoints.map((c) => c.sequenceNumber), [null]);
    strictEqual(daemon.stored, "SHARD_END");
    deepStrictEqual(await daemon.close(), {});
  }));
  await eventually(() => hub.sessions.size === 0);
  strictEqual(processors.length, 24, "the factory made one processor per connection");
  for (const p of processors) {
    deepStrictEqual(
      p.values,
      [0, 1, 2, 3, 4].flatMap((b) => [`${p.shardId}/${b}/a`, `${p.shardId}/${b}/b`]),
      "each processor saw only its own shard's records, in order",
    );
  }
  deepStrictEqual(hub.totals, { connections: 24, ended: 24, failed: 0 });
  strictEqual(await hub.close(), 0);
});

Deno.test("hub: a failing session closes only its own connection; the other shards go on", async () => {
  await using dir = await privateDir();
  const hub = await Hub.listen(() => ({
    initialize() {},
    processRecords({ records, shardId }) {
      if (shardId === "shardId-bad" && records[0]?.text() === "boom") throw new Error("boom");
    },
  } satisfies BatchProcessor), { socket: `${dir}/hub.sock`, onError: { retries: 0 } });
  const good = await FakeDaemon.connect(hub.path);
  const bad = await FakeDaemon.connect(hub.path);
  await good.initialize({ shardId: "shardId-good" });
  await bad.initialize({ shardId: "shardId-bad" });
  await good.processRecords([{ data: "1" }]);
  // The daemon sees its child fail: the connection ends with no status for processRecords.
  await rejects(
    bad.processRecords([{ data: "boom" }]),
    /The child's session ended while the daemon waited for its answer to processRecords/,
  );
  deepStrictEqual(await bad.exited, {});
  await eventually(() => hub.sessions.size === 1);
  await good.processRecords([{ data: "2" }]);
  await good.leaseLost();
  deepStrictEqual(await good.close(), {});
  await eventually(() => hub.sessions.size === 0);
  deepStrictEqual(hub.totals, { connections: 2, ended: 1, failed: 1 });
  await hub.close();
});

Deno.test("hub: a factory that returns the same processor twice is refused for the second shard", async () => {
  await using dir = await privateDir();
  const shared: BatchProcessor = { processRecords() {} };
  const hub = await Hub.listen(() => shared, { socket: `${dir}/hub.sock` });
  const first = await FakeDaemon.connect(hub.path);
  await first.initialize();
  const second = await FakeDaemon.connect(hub.path);
  await rejects(second.initialize(), /session ended while the daemon waited/);
  await first.leaseLost();
  await first.close();
  await second.close();
  deepStrictEqual(hub.totals, { connections: 2, ended: 1, failed: 1 });
  await hub.close();
});

Deno.test("hub socket: created with mode 0600 in a new 0700 directory; a directory open to others is refused", async () => {
  await using dir = await privateDir();
  const socket = await listenHubSocket(`${dir}/new/hub.sock`);
  strictEqual((await Deno.lstat(`${dir}/new`)).mode! & 0o777, 0o700);
  const info = await Deno.lstat(socket.path);
  ok(info.isSocket);
  strictEqual(info.mode! & 0o777, 0o600);
  socket.close();
  await Deno.mkdir(`${dir}/open`, { mode: 0o755 });
  await Deno.chmod(`${dir}/open`, 0o755);
  await rejects(
    listenHubSocket(`${dir}/open/hub.sock`),
    /is open to other users \(mode 755\).*chmod 700/,
  );
  await Deno.symlink(`${dir}/new`, `${dir}/link`);
  await rejects(listenHubSocket(`${dir}/link/hub.sock`), /is not a directory/);
  await rejects(listenHubSocket(`${dir}/${"x".repeat(120)}.sock`), /more than the 107/);
  await rejects(listenHubSocket(`${dir}/a b.sock`), /must not contain spaces/);
});

Deno.test("hub socket: a stale socket file (its hub was killed) is replaced; a live one and a regular file are refused", async () => {
  await using dir = await privateDir();
  const path = `${dir}/hub.sock`;
  // A hub killed with SIGKILL leaves its socket file behind.
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `Deno.listen({ transport: "unix", path: ${
        JSON.stringify(path)
      } }); console.log("ready"); setInterval(() => {}, 1000);`,
    ],
    stdout: "piped",
  }).spawn();
  const reader = child.stdout.getReader();
  await reader.read();
  reader.releaseLock();
  child.kill("SIGKILL");
  await child.status;
  await child.stdout.cancel();
  ok((await Deno.lstat(path)).isSocket, "the stale socket file is there");
  const hub = await Hub.listen(() => ({ processRecords() {} }), { socket: path });
  const daemon = await FakeDaemon.connect(path);
  await daemon.initialize();
  await rejects(
    Hub.listen(() => ({ processRecords() {} }), { socket: path }),
    /A hub is already listening on .*hub\.sock/,
  );
  await daemon.leaseLost();
  await daemon.close();
  await hub.close();
  await rejects(Deno.lstat(path), Deno.errors.NotFound, "the hub removes its socket when it stops");
  await Deno.writeTextFile(path, "not a socket");
  await rejects(
    Hub.listen(() => ({ processRecords() {} }), { socket: path }),
    /exists and is not a socket: not replacing it/,
  );
  strictEqual(await Deno.readTextFile(path), "not a socket");
});

Deno.test("hub: close() gives open sessions a grace period, then closes their connections", async () => {
  await using dir = await privateDir();
  const hub = await Hub.listen(() => ({ processRecords() {} }), { socket: `${dir}/hub.sock` });
  const daemon = await FakeDaemon.connect(hub.path);
  await daemon.initialize();
  const started = Date.now();
  strictEqual(await hub.close(200), 1, "one session cut off");
  ok(Date.now() - started >= 190, "after the grace period");
  deepStrictEqual(await daemon.exited, {}, "the daemon side sees the end of its child's output");
  await rejects(daemon.processRecords([{ data: "x" }]), /stdin is closed|session ended/);
});
