/**
 * The health rules of `/healthz`: pure functions of a {@linkcode MetricsView}.
 *
 * @module
 */

import type { HealthThresholds } from "./config.ts";
import { isHeld, type MetricsView, REPORT_INTERVAL_SECONDS } from "./view.ts";

/** The verdict. */
export interface Health {
  /** `true` when no rule fired. */
  healthy: boolean;
  /** Why not, one line per problem. */
  reasons: string[];
  /** Shards held. */
  shards: number;
  /** Whether the daemon runs (`null`: unknown). */
  daemonUp: boolean | null;
}

function secondsText(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

/**
 * Evaluates the health rules. Unhealthy when:
 * - the daemon is not running;
 * - a handler has run longer than `handlerSeconds` (or, in per-process mode,
 *   a child has not rewritten its state file for `handlerSeconds` plus
 *   {@linkcode REPORT_INTERVAL_SECONDS}: its event loop is blocked);
 * - a held shard has waited longer than `stallSeconds` for `processRecords`
 *   while the daemon is set to call it for empty batches too
 *   (`callProcessRecordsEvenForEmptyRecordList`; without it a quiet shard gets
 *   no calls at all: KCL's `ProcessTask.shouldCallProcessRecords`).
 *
 * @param view The worker now.
 * @param thresholds The limits.
 * @returns The verdict.
 *
 * @example A handler stuck for 10 minutes
 * ```ts
 * import { evaluateHealth } from "./health.ts";
 * import { strictEqual } from "node:assert/strict";
 *
 * const now = Date.now();
 * const health = evaluateHealth({
 *   now,
 *   daemonUp: true,
 *   emptyBatches: true,
 *   shards: [{
 *     shardId: "shardId-000000000000", state: "ready", records: 5, bytes: 50, batches: 1,
 *     checkpoints: 0, checkpointErrors: 0, processingErrors: 0, errors: 0, skipped: 0,
 *     millisBehindLatest: 0, uptimeSeconds: 700, startedAt: now - 700_000,
 *     lastBatchAt: now - 600_000, lastCheckpointAt: null, handler: "processRecords",
 *     handlerSince: now - 600_000, idleSince: null,
 *   }],
 * }, { stallSeconds: 120, handlerSeconds: 300 });
 * strictEqual(health.healthy, false);
 * strictEqual(health.reasons[0], "shardId-000000000000: processRecords has run for 600 s (limit 300 s)");
 * ```
 */
export function evaluateHealth(view: MetricsView, thresholds: HealthThresholds): Health {
  const reasons: string[] = [];
  if (view.daemonUp === false) reasons.push("the daemon (java) is not running");
  const handlerMs = thresholds.handlerSeconds * 1000;
  const stallMs = thresholds.stallSeconds * 1000;
  const limit = (ms: number) => `(limit ${secondsText(ms)})`;
  for (const shard of view.shards) {
    if (shard.state === "ended") continue;
    const id = shard.shardId;
    if (shard.handlerSince !== null && view.now - shard.handlerSince > handlerMs) {
      reasons.push(
        `${id}: ${shard.handler} has run for ${secondsText(view.now - shard.handlerSince)} ${
          limit(handlerMs)
        }`,
      );
      continue;
    }
    const silentMs = handlerMs + REPORT_INTERVAL_SECONDS * 1000;
    if (shard.reportedAt !== undefined && view.now - shard.reportedAt > silentMs) {
      reasons.push(
        `${id}: its process${shard.pid ? ` (pid ${shard.pid})` : ""} has not reported for ${
          secondsText(view.now - shard.reportedAt)
        } ${limit(silentMs)}: a handler blocks its event loop`,
      );
      continue;
    }
    if (
      view.emptyBatches && isHeld(shard) && shard.idleSince !== null &&
      view.now - shard.idleSince > stallMs
    ) {
      reasons.push(
        `${id}: no processRecords for ${secondsText(view.now - shard.idleSince)} ${
          limit(stallMs)
        }, although the daemon calls it for empty batches`,
      );
    }
  }
  return {
    healthy: reasons.length === 0,
    reasons,
    shards: view.shards.filter(isHeld).length,
    daemonUp: view.daemonUp,
  };
}
