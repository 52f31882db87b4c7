/**
 * `/metrics`: a {@linkcode MetricsView} in the Prometheus text exposition
 * format, written by `prom-client` (the maintained Node.js client, which runs
 * as is under Deno). Names start with `kclts_`; per-shard series carry a
 * `shard_id` label.
 *
 * @module
 */

import { Counter, Gauge, Registry } from "prom-client";
import type { MetricsView, ShardView } from "./view.ts";
import { isHeld } from "./view.ts";

/** The `Content-Type` of the exposition. */
export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

type Counted =
  | "records"
  | "bytes"
  | "batches"
  | "checkpoints"
  | "checkpointErrors"
  | "processingErrors";

const COUNTERS: readonly (readonly [string, Counted, string])[] = [
  ["kclts_shard_records_total", "records", "Records received, per shard session."],
  ["kclts_shard_bytes_total", "bytes", "Payload bytes received (decoded), per shard session."],
  [
    "kclts_shard_batches_total",
    "batches",
    "processRecords calls received (empty batches included).",
  ],
  ["kclts_shard_checkpoints_total", "checkpoints", "Checkpoints stored."],
  [
    "kclts_shard_checkpoint_errors_total",
    "checkpointErrors",
    "Checkpoint attempts the daemon refused.",
  ],
  [
    "kclts_shard_processing_errors_total",
    "processingErrors",
    "Errors thrown by the processor's handlers (each attempt).",
  ],
];

/** The live sessions, one per shard id (the newest when an old one is still ending). */
function liveShards(view: MetricsView): ShardView[] {
  const byId = new Map<string, ShardView>();
  for (const shard of view.shards) {
    if (shard.state === "ended" || shard.state === "new") continue;
    const other = byId.get(shard.shardId);
    if (!other || other.startedAt < shard.startedAt) byId.set(shard.shardId, shard);
  }
  return [...byId.values()].sort((a, b) => a.shardId < b.shardId ? -1 : 1);
}

/**
 * Renders the metrics. Counters restart at 0 with each shard session (a lease
 * moved to this worker, or a restarted child), as Prometheus' `rate()`
 * expects of a counter reset.
 *
 * @param view The worker now.
 * @returns The exposition text.
 *
 * @example
 * ```ts
 * import { renderMetrics } from "./prometheus.ts";
 * import { ok } from "node:assert/strict";
 *
 * const text = await renderMetrics({ now: Date.now(), shards: [], daemonUp: true, emptyBatches: true });
 * ok(text.includes("kclts_daemon_up 1"));
 * ok(text.includes("kclts_shards_held 0"));
 * ```
 */
export async function renderMetrics(view: MetricsView): Promise<string> {
  const registry = new Registry();
  const shards = liveShards(view);
  const labelNames = ["shard_id"] as const;
  for (const [name, field, help] of COUNTERS) {
    const counter = new Counter({ name, help, labelNames, registers: [registry] });
    for (const shard of shards) counter.inc({ shard_id: shard.shardId }, shard[field]);
  }
  const gauge = (name: string, help: string, value: (shard: ShardView) => number | null) => {
    const metric = new Gauge({ name, help, labelNames, registers: [registry] });
    for (const shard of shards) {
      const v = value(shard);
      if (v !== null) metric.set({ shard_id: shard.shardId }, v);
    }
  };
  const since = (at: number | null, shard: ShardView) =>
    Math.max(0, (view.now - (at ?? shard.startedAt)) / 1000);
  gauge(
    "kclts_shard_millis_behind_latest",
    "millisBehindLatest of the last batch: how far the shard's reader is behind the stream's tip.",
    (shard) => shard.millisBehindLatest,
  );
  gauge(
    "kclts_shard_seconds_since_last_batch",
    "Seconds since the last processRecords arrived (or since the session started).",
    (shard) => since(shard.lastBatchAt, shard),
  );
  gauge(
    "kclts_shard_seconds_since_last_checkpoint",
    "Seconds since the last checkpoint was stored (or since the session started).",
    (shard) => since(shard.lastCheckpointAt, shard),
  );
  gauge(
    "kclts_shard_handler_seconds",
    "Seconds the running handler has taken so far (0 between messages).",
    (shard) => shard.handlerSince === null ? 0 : since(shard.handlerSince, shard),
  );
  new Gauge({
    name: "kclts_shards_held",
    help: "Shards this worker holds (initialized, not shutting down).",
    registers: [registry],
  }).set(view.shards.filter(isHeld).length);
  if (view.daemonUp !== null) {
    new Gauge({
      name: "kclts_daemon_up",
      help: "1 while the KCL daemon (java) runs.",
      registers: [registry],
    }).set(view.daemonUp ? 1 : 0);
  }
  return await registry.metrics();
}
