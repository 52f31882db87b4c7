import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import {
  modeOf,
  PROCESS_MODES,
  type ProcessMode,
  type Put,
  report,
  ROOT,
  TEMPLATE,
  uniqueName,
  until,
  World,
} from "./_harness.ts";
import { PERMISSION_FLAGS } from "../../src/runtime/permissions.ts";
import { freePort, run } from "../_util.ts";

const STALLING = `${ROOT}/tests/fixtures/stalling_processor.ts`;
const HANDLER_SECONDS = 5;

/** Every sample of one metric, by shard id. */
function byShard(text: string, name: string): Map<string, number> {
  const samples = new Map<string, number>();
  const pattern = new RegExp(`^${name}\\{shard_id="([^"]+)"\\} (\\S+)$`, "gm");
  for (const match of text.matchAll(pattern)) samples.set(match[1]!, Number(match[2]));
  return samples;
}

function sample(text: string, name: string): number | undefined {
  const match = new RegExp(`^${name} (\\S+)$`, "m").exec(text);
  return match ? Number(match[1]) : undefined;
}

/** `processor health`, as the image's HEALTHCHECK runs it. */
async function healthCommand(port: number): Promise<{ code: number; out: string }> {
  const { code, stdout, stderr } = await run(Deno.execPath(), {
    args: ["run", ...PERMISSION_FLAGS, TEMPLATE, "health"],
    env: { KCLTS_HTTP_PORT: String(port), KCLTS_HTTP_HOST: "0.0.0.0" },
  });
  return { code, out: stdout + stderr };
}

/**
 * The stalling fixture, with /metrics on a free port, consuming a new stream of `shards` shards
 * that holds `count` records; `stall()` puts the record that stalls its handler (`n` 1000).
 */
async function stallingLauncher(
  world: World,
  name: string,
  mode: ProcessMode,
  { shards, count, env }: { shards: number; count: number; env: Record<string, string> },
) {
  const stream = uniqueName(name);
  const application = uniqueName("app");
  await world.stream(stream, shards, application);
  const puts = await world.put(stream, count, `e2e-${name}`);
  const port = freePort();
  const launcher = world.launch({
    stream,
    application,
    workerId: "worker-1",
    mode,
    processor: STALLING,
    env: {
      KCLTS_HTTP_PORT: String(port),
      KCLTS_HEALTH_HANDLER_SECONDS: String(HANDLER_SECONDS),
      STALL_AT: "1000",
      ...env,
    },
  });
  /** Puts the record that stalls the handler; returns it and when it was put. */
  const stall = async () => {
    const [put] = await world.put(stream, 1, `e2e-${name}`, 1000);
    return { put: put!, at: Date.now() };
  };
  return { puts, launcher, port, base: `http://127.0.0.1:${port}`, stall };
}

/** Waits until /metrics counts every record put into a one-shard stream. */
async function untilCounted(base: string, puts: readonly Put[]): Promise<void> {
  await until(
    async () => {
      const text = await fetch(`${base}/metrics`).then((r) => r.text(), () => "");
      return byShard(text, "kclts_shard_records_total").get(puts[0]!.shardId) === puts.length;
    },
    120_000,
    "/metrics counts every record put",
  );
}

for (const mode of PROCESS_MODES) {
  Deno.test(`e2e [${mode}]: /metrics counts match the records put, a stalled handler turns /healthz unhealthy within its limit, the daemon gone too`, async () => {
    await using world = await World.start();
    const { puts, launcher, port, base, stall } = await stallingLauncher(
      world,
      "metrics",
      mode,
      { shards: 2, count: 300, env: { KCLTS_HEALTH_STALL_SECONDS: "60" } },
    );
    const expected = { records: new Map<string, number>(), bytes: new Map<string, number>() };
    for (const put of puts) {
      const size = new TextEncoder().encode(JSON.stringify(put.value)).length;
      expected.records.set(put.shardId, (expected.records.get(put.shardId) ?? 0) + 1);
      expected.bytes.set(put.shardId, (expected.bytes.get(put.shardId) ?? 0) + size);
    }
    strictEqual(expected.records.size, 2, "the records went to both shards");
    const sorted = (map: Map<string, number>) => [...map].sort(([a], [b]) => a < b ? -1 : 1);

    // 1. The counts of /metrics reach the records put, per shard.
    const metrics = await until(
      async () => {
        const text = await fetch(`${base}/metrics`).then((r) => r.text(), () => "");
        const records = byShard(text, "kclts_shard_records_total");
        return JSON.stringify(sorted(records)) === JSON.stringify(sorted(expected.records)) && text;
      },
      120_000,
      "/metrics counts every record put",
    );
    deepStrictEqual(sorted(byShard(metrics, "kclts_shard_bytes_total")), sorted(expected.bytes));
    strictEqual(sample(metrics, "kclts_shards_held"), 2);
    // The launcher watches the JVM; the hub does not see it (the launcher stops the hub with it).
    strictEqual(sample(metrics, "kclts_daemon_up"), mode === "process" ? 1 : undefined);
    for (const [shard, batches] of byShard(metrics, "kclts_shard_batches_total")) {
      ok(batches >= 1, `${shard}: ${batches} batches`);
    }
    for (
      const name of ["kclts_shard_checkpoint_errors_total", "kclts_shard_processing_errors_total"]
    ) {
      ok([...byShard(metrics, name).values()].every((v) => v === 0), name);
    }
    const healthy = await fetch(`${base}/healthz`);
    strictEqual(healthy.status, 200, await healthy.clone().text());
    deepStrictEqual((await healthy.json()).shards, 2);
    const command = await healthCommand(port);
    strictEqual(command.code, 0, command.out);

    // 2. One record makes its shard's handler hang: unhealthy once it has run HANDLER_SECONDS.
    const { put: stallPut, at: putAt } = await stall();
    const reason = `${stallPut.shardId}: processRecords has run for`;
    const unhealthy = await until(
      async () => {
        const response = await fetch(`${base}/healthz`).catch(() => null);
        if (!response) return false;
        const body = await response.json();
        return response.status === 503 && body.reasons.some((r: string) => r.startsWith(reason)) &&
          body;
      },
      60_000,
      "/healthz reports the stalled handler",
    );
    const elapsed = Date.now() - putAt;
    ok(elapsed >= HANDLER_SECONDS * 1000, `not before the limit (${elapsed} ms)`);
    ok(elapsed < HANDLER_SECONDS * 1000 + 3000, `within the limit + 3 s (${elapsed} ms)`);
    strictEqual(unhealthy.reasons.length, 1, JSON.stringify(unhealthy.reasons));
    const stalled = await healthCommand(port);
    strictEqual(stalled.code, 1, stalled.out);
    ok(stalled.out.includes(reason), stalled.out);

    // 3. The daemon gone: the launcher stops (non-zero) and with it the endpoint: unhealthy.
    Deno.kill(await launcher.javaPid(), "SIGKILL");
    const killedAt = Date.now();
    const code = await launcher.exited;
    ok(code !== 0, `the launcher exits non-zero (${code})`);
    const gone = await healthCommand(port);
    strictEqual(gone.code, 1, gone.out);
    strictEqual(modeOf(launcher), mode);
    report(
      `e2e metrics [${mode}]: put ${puts.length}, /metrics ${
        JSON.stringify(sorted(byShard(metrics, "kclts_shard_records_total")))
      }; stalled handler → 503 after ${elapsed} ms (limit ${HANDLER_SECONDS} s); java killed → launcher exit ${code} after ${
        Date.now() - killedAt
      } ms, processor health exit ${gone.code}`,
    );
  });
}

Deno.test("e2e [process]: a handler that blocks its child's event loop turns /healthz unhealthy: the child stops reporting", async () => {
  await using world = await World.start();
  const { puts, launcher, base, stall } = await stallingLauncher(
    world,
    "metrics-sync",
    "process",
    { shards: 1, count: 50, env: { KCLTS_HEALTH_STALL_SECONDS: "60", STALL_MODE: "sync" } },
  );
  await untilCounted(base, puts);
  await until(
    async () =>
      (await fetch(`${base}/healthz`).then((r) => r.body?.cancel().then(() => r.status))) === 200,
    10_000,
    "healthy while records flow",
  );
  const { at: putAt } = await stall();
  const unhealthy = await until(
    async () => {
      const response = await fetch(`${base}/healthz`).catch(() => null);
      if (!response) return false;
      const body = await response.json();
      return response.status === 503 && body;
    },
    60_000,
    "/healthz reports the blocked child",
  );
  const elapsed = Date.now() - putAt;
  const limit = HANDLER_SECONDS + 5; // the handler limit + the 5 s a child may stay silent
  ok(
    /^shardId-000000000000: its process \(pid [0-9]+\) has not reported for [0-9.]+ s \(limit 10 s\): a handler blocks its event loop$/
      .test(unhealthy.reasons[0]),
    JSON.stringify(unhealthy.reasons),
  );
  ok(elapsed >= HANDLER_SECONDS * 1000, `not before the handler limit (${elapsed} ms)`);
  ok(elapsed < limit * 1000 + 3000, `within ${limit} s + 3 s (${elapsed} ms)`);
  report(
    `e2e metrics (per-process, blocked event loop): 503 after ${elapsed} ms (handler limit ${HANDLER_SECONDS} s + 5 s of silence allowed)`,
  );
  await launcher.kill();
});

Deno.test("e2e [hub]: a handler that blocks the hub's event loop: /healthz stops answering, processor health fails", async () => {
  await using world = await World.start();
  const { puts, launcher, port, base, stall } = await stallingLauncher(
    world,
    "metrics-hub-sync",
    "hub",
    { shards: 1, count: 50, env: { STALL_MODE: "sync" } },
  );
  await untilCounted(base, puts);
  strictEqual((await healthCommand(port)).code, 0);
  const { at: putAt } = await stall();
  // One event loop for every shard: the listener cannot answer while the handler blocks it.
  const failed = await until(
    async () => {
      const result = await healthCommand(port);
      return result.code !== 0 && result;
    },
    30_000,
    "processor health fails",
  );
  const elapsed = Date.now() - putAt;
  strictEqual(failed.code, 1, failed.out);
  ok(failed.out.includes("no answer"), failed.out);
  ok(elapsed < 5000 + 5000, `within the health command's 5 s timeout + 5 s (${elapsed} ms)`);
  report(`e2e metrics [hub, blocked event loop]: processor health exit 1 after ${elapsed} ms`);
  await launcher.kill();
});
