/**
 * What the metrics endpoints show: the shards a worker holds, whether its
 * daemon runs, and how the daemon is configured. Filled by the launcher (from
 * its children's state files) or by the hub (from its live sessions).
 *
 * @module
 */

import type { ShardStatsSnapshot } from "../session/stats.ts";

/** One shard session, as the metrics see it. */
export interface ShardView extends ShardStatsSnapshot {
  /** The process that runs the session. */
  pid?: number;
  /** When the session's process last reported (per-process mode's state files), epoch ms. */
  reportedAt?: number;
}

/** A moment's view of a worker. */
export interface MetricsView {
  /** The clock of the view, epoch ms: the times of the shards are compared to it. */
  now: number;
  /** Every live shard session (held, starting or ending). */
  shards: ShardView[];
  /** Whether the daemon (the JVM) runs; `null` when unknown. */
  daemonUp: boolean | null;
  /** The daemon calls `processRecords` for empty batches (`callProcessRecordsEvenForEmptyRecordList`). */
  emptyBatches: boolean;
}

/** Where a metrics server gets its view, at each request. */
export interface MetricsSource {
  /** The view now. */
  view(): MetricsView | Promise<MetricsView>;
}

/**
 * A per-process child rewrites its state file at least this often, even when
 * nothing changed: a file older than that means the child's event loop is
 * blocked (or the child is gone).
 */
export const REPORT_INTERVAL_SECONDS = 5;

/**
 * Whether a shard is held: `initialize` answered, and neither
 * `shutdownRequested` nor the end of the lease came yet.
 *
 * @param shard The shard.
 * @returns `true` when held.
 */
export function isHeld(shard: ShardView): boolean {
  return shard.state === "ready";
}
