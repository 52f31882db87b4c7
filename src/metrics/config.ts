/**
 * The metrics settings from the environment: `KCLTS_HTTP_PORT` (the listener
 * is off unless it is set), `KCLTS_HTTP_HOST`, and the health thresholds.
 *
 * @module
 */

/** When `/healthz` turns unhealthy. */
export interface HealthThresholds {
  /** A held shard got no `processRecords` for this long, while the daemon sends empty batches. */
  stallSeconds: number;
  /** A handler has run for this long. */
  handlerSeconds: number;
}

/** The listener's settings. */
export interface MetricsConfig {
  /** The TCP port. */
  port: number;
  /** The bind address. */
  host: string;
  /** The health rules' thresholds. */
  thresholds: HealthThresholds;
}

/** The defaults of {@linkcode HealthThresholds}. */
export const DEFAULT_THRESHOLDS: Readonly<HealthThresholds> = {
  stallSeconds: 120,
  handlerSeconds: 300,
};

/**
 * The environment variable through which `launch --hub` tells the hub the
 * daemon's `callProcessRecordsEvenForEmptyRecordList` (`true` or `false`).
 */
export const EMPTY_BATCHES_ENV = "KCLTS_EMPTY_BATCHES";

/** The environment variables of the metrics. */
export const METRICS_ENV: readonly string[] = [
  "KCLTS_HTTP_PORT",
  "KCLTS_HTTP_HOST",
  "KCLTS_HEALTH_STALL_SECONDS",
  "KCLTS_HEALTH_HANDLER_SECONDS",
];

function seconds(
  env: Readonly<Record<string, string | undefined>>,
  name: string,
  fallback: number,
) {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!/^[0-9]+(\.[0-9]+)?$/.test(raw) || !(value > 0)) {
    throw new Error(`${name} must be a number of seconds > 0: got "${raw}"`);
  }
  return value;
}

/**
 * Reads the health thresholds.
 *
 * @param env The environment.
 * @returns The thresholds.
 * @throws {Error} If a value is not a number of seconds > 0.
 *
 * @example
 * ```ts
 * import { healthThresholdsFromEnv } from "./config.ts";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * deepStrictEqual(healthThresholdsFromEnv({ KCLTS_HEALTH_STALL_SECONDS: "30" }), {
 *   stallSeconds: 30,
 *   handlerSeconds: 300,
 * });
 * ```
 */
export function healthThresholdsFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): HealthThresholds {
  return {
    stallSeconds: seconds(env, "KCLTS_HEALTH_STALL_SECONDS", DEFAULT_THRESHOLDS.stallSeconds),
    handlerSeconds: seconds(env, "KCLTS_HEALTH_HANDLER_SECONDS", DEFAULT_THRESHOLDS.handlerSeconds),
  };
}

/**
 * Reads the listener's settings.
 *
 * @param env The environment.
 * @returns The settings, or `null` when `KCLTS_HTTP_PORT` is unset or empty (no listener).
 * @throws {Error} If a value is invalid.
 *
 * @example
 * ```ts
 * import { metricsConfigFromEnv } from "./config.ts";
 * import { strictEqual } from "node:assert/strict";
 *
 * strictEqual(metricsConfigFromEnv({}), null);
 * strictEqual(metricsConfigFromEnv({ KCLTS_HTTP_PORT: "9464" })?.host, "127.0.0.1");
 * ```
 */
export function metricsConfigFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): MetricsConfig | null {
  const raw = env.KCLTS_HTTP_PORT?.trim();
  if (raw === undefined || raw === "") return null;
  const port = Number(raw);
  if (!/^[0-9]+$/.test(raw) || port < 1 || port > 65535) {
    throw new Error(`KCLTS_HTTP_PORT must be a TCP port (1-65535): got "${raw}"`);
  }
  const host = env.KCLTS_HTTP_HOST?.trim() || "127.0.0.1";
  if (/[\s/]/.test(host)) {
    throw new Error(`KCLTS_HTTP_HOST must be an address to bind, e.g. 0.0.0.0: got "${host}"`);
  }
  return { port, host, thresholds: healthThresholdsFromEnv(env) };
}
