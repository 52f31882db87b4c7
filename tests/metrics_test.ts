import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import type { BatchProcessor } from "../mod.ts";
import { FakeDaemon } from "../testing.ts";
import { evaluateHealth } from "../src/metrics/health.ts";
import { renderMetrics } from "../src/metrics/prometheus.ts";
import { healthThresholdsFromEnv, metricsConfigFromEnv } from "../src/metrics/config.ts";
import { liveSource } from "../src/metrics/live.ts";
import { serveMetrics } from "../src/metrics/server.ts";
import { healthUrl } from "../src/metrics/health_command.ts";
import type { MetricsView, ShardView } from "../src/metrics/view.ts";
import { ShardStats } from "../src/session/stats.ts";

const NOW = 1_800_000_000_000;
const LIMITS = { stallSeconds: 60, handlerSeconds: 30 };

function shard(id: string, fields: Partial<ShardView> = {}): ShardView {
  return {
    shardId: id,
    state: "ready",
    records: 0,
    bytes: 0,
    batches: 0,
    checkpoints: 0,
    checkpointErrors: 0,
    processingErrors: 0,
    errors: 0,
    skipped: 0,
    millisBehindLatest: null,
    uptimeSeconds: 100,
    startedAt: NOW - 100_000,
    lastBatchAt: null,
    lastCheckpointAt: null,
    handler: null,
    handlerSince: null,
    idleSince: NOW - 1000,
    ...fields,
  };
}

function view(shards: ShardView[], fields: Partial<MetricsView> = {}): MetricsView {
  return { now: NOW, shards, daemonUp: true, emptyBatches: true, ...fields };
}

/** Lets the session's pending continuations run. */
function settled(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** The value of one sample of an exposition, or undefined. */
function sample(text: string, name: string, shardId?: string): number | undefined {
  const head = shardId === undefined ? `${name} ` : `${name}{shard_id="${shardId}"} `;
  const line = text.split("\n").find((l) => l.startsWith(head));
  return line === undefined ? undefined : Number(line.slice(head.length));
}

Deno.test("metrics: every per-shard and process series, with the kclts_ prefix and a shard_id label", async () => {
  const text = await renderMetrics(view([
    shard("shardId-000000000001", {
      records: 1500,
      bytes: 120_000,
      batches: 3,
      checkpoints: 2,
      checkpointErrors: 1,
      processingErrors: 4,
      millisBehindLatest: 250,
      lastBatchAt: NOW - 2500,
      lastCheckpointAt: NOW - 10_000,
      handler: "processRecords",
      handlerSince: NOW - 1500,
      idleSince: null,
    }),
    shard("shardId-000000000002"),
  ]));
  const a = "shardId-000000000001";
  deepStrictEqual(
    [
      "kclts_shard_records_total",
      "kclts_shard_bytes_total",
      "kclts_shard_batches_total",
      "kclts_shard_checkpoints_total",
      "kclts_shard_checkpoint_errors_total",
      "kclts_shard_processing_errors_total",
      "kclts_shard_millis_behind_latest",
      "kclts_shard_seconds_since_last_batch",
      "kclts_shard_seconds_since_last_checkpoint",
      "kclts_shard_handler_seconds",
    ].map((name) => sample(text, name, a)),
    [1500, 120_000, 3, 2, 1, 4, 250, 2.5, 10, 1.5],
  );
  ok(text.includes("# TYPE kclts_shard_records_total counter"));
  ok(text.includes("# TYPE kclts_shard_millis_behind_latest gauge"));
  // The second shard: zero counters, no millisBehindLatest yet, times since its session started.
  const b = "shardId-000000000002";
  strictEqual(sample(text, "kclts_shard_records_total", b), 0);
  strictEqual(sample(text, "kclts_shard_millis_behind_latest", b), undefined);
  strictEqual(sample(text, "kclts_shard_seconds_since_last_batch", b), 100);
  strictEqual(sample(text, "kclts_shard_handler_seconds", b), 0);
  strictEqual(sample(text, "kclts_shards_held"), 2);
  strictEqual(sample(text, "kclts_daemon_up"), 1);
  for (const line of text.split("\n").filter((l) => l && !l.startsWith("#"))) {
    ok(line.startsWith("kclts_"), line);
  }
});

Deno.test("metrics: ended and starting sessions are left out, a shard's newest session wins, daemon_up 0 or absent", async () => {
  const text = await renderMetrics(view([
    shard("shardId-000000000001", { records: 7, startedAt: NOW - 50_000 }),
    shard("shardId-000000000001", { records: 99, startedAt: NOW - 90_000, state: "shuttingDown" }),
    shard("shardId-000000000002", { records: 5, state: "ended" }),
    shard("shardId-000000000003", { state: "new" }),
  ], { daemonUp: false }));
  strictEqual(sample(text, "kclts_shard_records_total", "shardId-000000000001"), 7);
  strictEqual(sample(text, "kclts_shard_records_total", "shardId-000000000002"), undefined);
  strictEqual(sample(text, "kclts_shard_records_total", "shardId-000000000003"), undefined);
  strictEqual(sample(text, "kclts_shards_held"), 1);
  strictEqual(sample(text, "kclts_daemon_up"), 0);
  const unknown = await renderMetrics(view([], { daemonUp: null }));
  strictEqual(sample(unknown, "kclts_daemon_up"), undefined);
  strictEqual(sample(unknown, "kclts_shards_held"), 0);
});

Deno.test("health: healthy while handlers are short and batches keep coming", () => {
  const health = evaluateHealth(
    view([
      shard("s1", { handler: "processRecords", handlerSince: NOW - 29_000, idleSince: null }),
      shard("s2", { idleSince: NOW - 59_000, lastBatchAt: NOW - 59_500 }),
    ]),
    LIMITS,
  );
  deepStrictEqual(health, { healthy: true, reasons: [], shards: 2, daemonUp: true });
});

Deno.test("health: the daemon gone is unhealthy", () => {
  const health = evaluateHealth(view([], { daemonUp: false }), LIMITS);
  deepStrictEqual(health.reasons, ["the daemon (java) is not running"]);
  strictEqual(health.healthy, false);
  strictEqual(evaluateHealth(view([], { daemonUp: null }), LIMITS).healthy, true);
});

Deno.test("health: a handler that runs past its limit is unhealthy, in any state", () => {
  for (const state of ["ready", "shuttingDown", "new"] as const) {
    const health = evaluateHealth(
      view([shard("s1", { state, handler: "shutdownRequested", handlerSince: NOW - 31_000 })]),
      LIMITS,
    );
    deepStrictEqual(health.reasons, ["s1: shutdownRequested has run for 31 s (limit 30 s)"], state);
  }
});

Deno.test("health: a held shard without processRecords past the stall limit is unhealthy only when the daemon sends empty batches", () => {
  const quiet = [shard("s1", { idleSince: NOW - 61_000, lastBatchAt: NOW - 61_200 })];
  deepStrictEqual(evaluateHealth(view(quiet), LIMITS).reasons, [
    "s1: no processRecords for 61 s (limit 60 s), although the daemon calls it for empty batches",
  ]);
  strictEqual(evaluateHealth(view(quiet, { emptyBatches: false }), LIMITS).healthy, true);
  // Not held: shutting down (the daemon sends no more batches) or ended.
  for (const state of ["shuttingDown", "ended"] as const) {
    strictEqual(
      evaluateHealth(view([{ ...quiet[0]!, state }]), LIMITS).healthy,
      true,
      state,
    );
  }
});

Deno.test("health: a per-process child that stopped reporting (blocked event loop) is unhealthy", () => {
  // Idle in its last report, but that report is older than the handler limit + 5 s.
  const blocked = shard("s1", { pid: 4242, reportedAt: NOW - 36_000, idleSince: NOW - 36_500 });
  deepStrictEqual(evaluateHealth(view([blocked], { emptyBatches: false }), LIMITS).reasons, [
    "s1: its process (pid 4242) has not reported for 36 s (limit 35 s): a handler blocks its event loop",
  ]);
  const fresh = { ...blocked, reportedAt: NOW - 34_000 };
  strictEqual(evaluateHealth(view([fresh], { emptyBatches: false }), LIMITS).healthy, true);
});

Deno.test("config: the listener is off without KCLTS_HTTP_PORT; bad values are clear errors", () => {
  strictEqual(metricsConfigFromEnv({}), null);
  strictEqual(metricsConfigFromEnv({ KCLTS_HTTP_PORT: " " }), null);
  deepStrictEqual(
    metricsConfigFromEnv({
      KCLTS_HTTP_PORT: "9464",
      KCLTS_HTTP_HOST: "0.0.0.0",
      KCLTS_HEALTH_STALL_SECONDS: "5",
      KCLTS_HEALTH_HANDLER_SECONDS: "2.5",
    }),
    { port: 9464, host: "0.0.0.0", thresholds: { stallSeconds: 5, handlerSeconds: 2.5 } },
  );
  deepStrictEqual(healthThresholdsFromEnv({}), { stallSeconds: 120, handlerSeconds: 300 });
  throws(() => metricsConfigFromEnv({ KCLTS_HTTP_PORT: "http" }), /KCLTS_HTTP_PORT must be/);
  throws(() => metricsConfigFromEnv({ KCLTS_HTTP_PORT: "70000" }), /KCLTS_HTTP_PORT must be/);
  throws(
    () => healthThresholdsFromEnv({ KCLTS_HEALTH_STALL_SECONDS: "0" }),
    /KCLTS_HEALTH_STALL_SECONDS must be a number of seconds > 0: got "0"/,
  );
  throws(
    () => healthThresholdsFromEnv({ KCLTS_HEALTH_HANDLER_SECONDS: "5m" }),
    /KCLTS_HEALTH_HANDLER_SECONDS/,
  );
  strictEqual(
    healthUrl({ KCLTS_HTTP_PORT: "80", KCLTS_HTTP_HOST: "::" }),
    "http://[::1]:80/healthz",
  );
  strictEqual(healthUrl({}), null);
});

Deno.test("session stats: counts, error kinds, times and the running handler, as the metrics read them", async () => {
  let clock = NOW;
  let release!: () => void;
  let entered!: () => void;
  const inHandler = new Promise<void>((resolve) => entered = resolve);
  let calls = 0;
  const processor: BatchProcessor = {
    async processRecords({ records, checkpointer }) {
      calls++;
      if (calls === 1) throw new Error("first attempt fails");
      if (calls === 3) {
        entered();
        await new Promise<void>((resolve) => release = resolve);
      }
      if (records.length > 0) await checkpointer.checkpoint(records.at(-1));
    },
  };
  const reader = new ShardStats(0, () => clock);
  const live = liveSource(() => [reader], { emptyBatches: true, now: () => clock });
  await using daemon = new FakeDaemon(processor, {
    now: () => clock,
    onError: { retries: 1 },
    checkpointErrors: ["ThrottlingException"],
    checkpointRetry: { initialDelayMs: 0 },
    stats: reader,
  });
  strictEqual(reader.snapshot().state, "new");
  await daemon.initialize({ shardId: "shardId-000000000009" });
  clock += 1000;
  await daemon.processRecords([{ data: "ab" }, { data: "cd" }], { millisBehindLatest: 42 });
  await settled(); // the session marks itself idle just after its status line
  let s = reader.snapshot();
  deepStrictEqual(
    [s.state, s.records, s.bytes, s.batches, s.checkpoints, s.checkpointErrors, s.processingErrors],
    ["ready", 2, 4, 1, 1, 1, 1],
  );
  deepStrictEqual([s.lastBatchAt, s.lastCheckpointAt, s.millisBehindLatest], [clock, clock, 42]);
  deepStrictEqual([s.handler, s.handlerSince, s.idleSince], [null, null, clock]);
  clock += 1000;
  const pending = daemon.processRecords([{ data: "ef" }]);
  await inHandler;
  clock += 31_000;
  s = reader.snapshot();
  deepStrictEqual([s.handler, s.handlerSince, s.idleSince], ["processRecords", NOW + 2000, null]);
  deepStrictEqual(evaluateHealth(live.view(), LIMITS).reasons, [
    "shardId-000000000009: processRecords has run for 31 s (limit 30 s)",
  ]);
  release();
  await pending;
  await settled();
  strictEqual(evaluateHealth(live.view(), LIMITS).healthy, true);
  await daemon.shutdownRequested();
  await settled();
  strictEqual(reader.snapshot().state, "shuttingDown");
  await daemon.leaseLost();
  await daemon.close();
  strictEqual(reader.snapshot().state, "ended");
});

Deno.test("server: /metrics and /healthz over HTTP, 503 with the reasons, 404 elsewhere", async () => {
  let current = view([shard("shardId-000000000001", { records: 12 })]);
  await using server = serveMetrics({
    port: 0,
    source: { view: () => current },
    thresholds: LIMITS,
  });
  const base = `http://127.0.0.1:${server.port}`;
  let response = await fetch(`${base}/metrics`);
  strictEqual(response.status, 200);
  strictEqual(response.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  strictEqual(
    sample(await response.text(), "kclts_shard_records_total", "shardId-000000000001"),
    12,
  );
  response = await fetch(`${base}/healthz`);
  strictEqual(response.status, 200);
  deepStrictEqual(await response.json(), {
    status: "healthy",
    healthy: true,
    reasons: [],
    shards: 1,
    daemonUp: true,
  });
  current = view([], { daemonUp: false });
  response = await fetch(`${base}/healthz`);
  strictEqual(response.status, 503);
  deepStrictEqual((await response.json()).reasons, ["the daemon (java) is not running"]);
  response = await fetch(`${base}/other`);
  strictEqual(response.status, 404);
  await response.body?.cancel();
});
