/**
 * `<program> health`: asks the running worker's `/healthz` (the launcher's or
 * the hub's listener, `KCLTS_HTTP_PORT`) and exits 0 when it is healthy, so
 * that a container's HEALTHCHECK or an exec probe needs no curl.
 *
 * @module
 */

import { metricsConfigFromEnv } from "./config.ts";

/**
 * The `/healthz` address for the listener configured in the environment: a
 * wildcard bind address is asked on the loopback.
 *
 * @param env The environment.
 * @returns The URL, or `null` when `KCLTS_HTTP_PORT` is not set.
 * @throws {Error} If a setting is invalid.
 *
 * @example
 * ```ts
 * import { healthUrl } from "./health_command.ts";
 * import { strictEqual } from "node:assert/strict";
 *
 * strictEqual(
 *   healthUrl({ KCLTS_HTTP_PORT: "9464", KCLTS_HTTP_HOST: "0.0.0.0" }),
 *   "http://127.0.0.1:9464/healthz",
 * );
 * ```
 */
export function healthUrl(env: Readonly<Record<string, string | undefined>>): string | null {
  const config = metricsConfigFromEnv(env);
  if (!config) return null;
  const host = config.host === "0.0.0.0" ? "127.0.0.1" : config.host === "::" ? "::1" : config.host;
  return `http://${host.includes(":") ? `[${host}]` : host}:${config.port}/healthz`;
}

/** Where `health` writes. */
export interface HealthCommandIo {
  /** The answer's body (stdout: not child mode). */
  out(text: string): void;
  /** Problems. */
  err(text: string): void;
}

/**
 * Runs `health [--url=URL] [--timeout=SECONDS]`.
 *
 * @param args The arguments after `health`.
 * @param env The environment.
 * @param io Output.
 * @returns 0 when healthy, 1 when unhealthy or unreachable, 2 for bad usage.
 */
export async function healthCommand(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  io: HealthCommandIo,
): Promise<number> {
  let url: string | null = null;
  let timeoutSeconds = 5;
  try {
    for (const arg of args) {
      if (arg.startsWith("--url=")) url = arg.slice(6);
      else if (/^--timeout=[0-9]+(\.[0-9]+)?$/.test(arg)) timeoutSeconds = Number(arg.slice(10));
      else throw new Error(`Unexpected argument "${arg}" (health [--url=URL] [--timeout=SECONDS])`);
    }
    url ??= healthUrl(env);
  } catch (error) {
    io.err(`${(error as Error).message}\n`);
    return 2;
  }
  if (!url) {
    io.err("KCLTS_HTTP_PORT is not set: the health endpoint is off (or give --url=URL)\n");
    return 2;
  }
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutSeconds * 1000) });
    const body = await response.text();
    io.out(body.endsWith("\n") ? body : body + "\n");
    return response.status === 200 ? 0 : 1;
  } catch (error) {
    io.err(`${url}: no answer: ${(error as Error).message}\n`);
    return 1;
  }
}
