/**
 * Hub mode's metrics: the counters of the sessions that run in this process,
 * read live at each request, and the listener the hub starts.
 *
 * @module
 */

import type { ShardStatsReader } from "../session/stats.ts";
import { EMPTY_BATCHES_ENV, metricsConfigFromEnv } from "./config.ts";
import { type MetricsServer, serveConfigured } from "./server.ts";
import type { MetricsSource, MetricsView } from "./view.ts";

/** Options of {@linkcode liveSource}. */
export interface LiveSourceOptions {
  /** The daemon calls `processRecords` for empty batches (`callProcessRecordsEvenForEmptyRecordList`). */
  emptyBatches: boolean;
  /** Whether the daemon runs; `null` when unknown. @default {() => null} */
  daemonUp?: () => boolean | null;
  /** The clock. @default {Date.now} */
  now?: () => number;
}

/** A {@linkcode MetricsSource} whose view is at hand at once. */
export interface LiveSource extends MetricsSource {
  /** The view now. */
  view(): MetricsView;
}

/**
 * A {@linkcode MetricsSource} over live sessions.
 *
 * @param sessions The sessions' counters now (e.g. the hub's sessions).
 * @param options The daemon's settings and state.
 * @returns The source.
 *
 * @example
 * ```ts
 * import { liveSource } from "./live.ts";
 * import { ShardStats } from "../session/stats.ts";
 * import { strictEqual } from "node:assert/strict";
 *
 * const stats = new ShardStats(0);
 * stats.batch(3, 30, 0);
 * const source = liveSource(() => [stats], { emptyBatches: true });
 * strictEqual(source.view().shards[0]!.records, 3);
 * ```
 */
export function liveSource(
  sessions: () => Iterable<ShardStatsReader>,
  options: LiveSourceOptions,
): LiveSource {
  const daemonUp = options.daemonUp ?? (() => null);
  const now = options.now ?? Date.now;
  return {
    view: () => ({
      now: now(),
      shards: [...sessions()].map((s) => s.snapshot()),
      daemonUp: daemonUp(),
      emptyBatches: options.emptyBatches,
    }),
  };
}

/**
 * Starts the hub's listener when `KCLTS_HTTP_PORT` is set. The hub loads this
 * module only then: it brings `prom-client`.
 *
 * @param sessions The hub's sessions' counters now.
 * @param env The environment: the listener's settings, and {@linkcode EMPTY_BATCHES_ENV}.
 * @param onError Reports problems.
 * @returns The listener, or `null` when it is off.
 * @throws {Error} If a setting is invalid or the port is taken.
 */
export function serveHubMetrics(
  sessions: () => Iterable<ShardStatsReader>,
  env: Readonly<Record<string, string | undefined>>,
  onError: (error: unknown) => void,
): MetricsServer | null {
  const config = metricsConfigFromEnv(env);
  if (!config) return null;
  const emptyBatches = env[EMPTY_BATCHES_ENV]?.trim().toLowerCase() === "true";
  return serveConfigured(config, liveSource(sessions, { emptyBatches }), onError);
}
