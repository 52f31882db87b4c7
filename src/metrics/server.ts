/**
 * The HTTP listener of `/metrics` and `/healthz` (`Deno.serve`), for the
 * launcher (per-process mode) and the hub.
 *
 * @module
 */

import type { HealthThresholds, MetricsConfig } from "./config.ts";
import { DEFAULT_THRESHOLDS } from "./config.ts";
import { evaluateHealth } from "./health.ts";
import { METRICS_CONTENT_TYPE, renderMetrics } from "./prometheus.ts";
import type { MetricsSource } from "./view.ts";

/** Options of {@linkcode serveMetrics}. */
export interface ServeMetricsOptions {
  /** Where the numbers come from, at each request. */
  source: MetricsSource;
  /** The TCP port (0: any free port). */
  port: number;
  /** The bind address. @default {"127.0.0.1"} */
  host?: string;
  /** The health rules' limits. @default {DEFAULT_THRESHOLDS} */
  thresholds?: HealthThresholds;
  /** Reports problems (a failing source); never stdout. @default {nothing} */
  onError?: (error: unknown) => void;
}

/** A running listener. */
export interface MetricsServer extends AsyncDisposable {
  /** The bound port. */
  readonly port: number;
  /** The bound address. */
  readonly host: string;
  /** Stops listening. */
  close(): Promise<void>;
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body) + "\n", {
    status,
    headers: { "content-type": "application/json; charset=utf-8" },
  });
}

/**
 * Serves `GET /metrics` (Prometheus text format) and `GET /healthz` (200 when
 * healthy, 503 otherwise, with a JSON body that says why:
 * `{"status":"unhealthy","reasons":[...],"shards":2,"daemonUp":true}`).
 *
 * @param options What to serve, where.
 * @returns The listener, once it listens.
 * @throws {Deno.errors.AddrInUse} If the port is taken.
 *
 * @example
 * ```ts
 * import { serveMetrics } from "./server.ts";
 * import { strictEqual } from "node:assert/strict";
 *
 * await using server = serveMetrics({
 *   port: 0,
 *   source: { view: () => ({ now: Date.now(), shards: [], daemonUp: true, emptyBatches: false }) },
 * });
 * const response = await fetch(`http://127.0.0.1:${server.port}/healthz`);
 * strictEqual(response.status, 200);
 * strictEqual((await response.json()).status, "healthy");
 * ```
 */
export function serveMetrics(options: ServeMetricsOptions): MetricsServer {
  const thresholds = options.thresholds ?? DEFAULT_THRESHOLDS;
  const host = options.host ?? "127.0.0.1";
  const handler = async (request: Request): Promise<Response> => {
    const path = new URL(request.url).pathname;
    if (path !== "/metrics" && path !== "/healthz") {
      return new Response("Not found: try /metrics or /healthz\n", { status: 404 });
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      return new Response("Method not allowed\n", { status: 405, headers: { allow: "GET, HEAD" } });
    }
    let view;
    try {
      view = await options.source.view();
    } catch (error) {
      options.onError?.(error);
      return json(503, { status: "unknown", reasons: [`cannot read the shards' state: ${error}`] });
    }
    if (path === "/metrics") {
      return new Response(await renderMetrics(view), {
        headers: { "content-type": METRICS_CONTENT_TYPE },
      });
    }
    const health = evaluateHealth(view, thresholds);
    return json(health.healthy ? 200 : 503, {
      status: health.healthy ? "healthy" : "unhealthy",
      ...health,
    });
  };
  const server = Deno.serve({
    port: options.port,
    hostname: host,
    // Deno.serve prints "Listening on ..." to stdout by default: stdout is not ours.
    onListen: () => {},
    onError: (error) => {
      options.onError?.(error);
      return new Response("Internal error\n", { status: 500 });
    },
  }, handler);
  const close = async () => {
    await server.shutdown();
  };
  return {
    port: server.addr.port,
    host,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/**
 * {@linkcode serveMetrics} on the configured address (`KCLTS_HTTP_HOST`,
 * `KCLTS_HTTP_PORT`), for the launcher and the hub.
 *
 * @param config The listener's address and the health limits.
 * @param source Where the numbers come from.
 * @param onError Reports problems; never stdout.
 * @returns The listener, once it listens.
 * @throws {Error} Naming the address and the variables, if it cannot listen there.
 */
export function serveConfigured(
  config: MetricsConfig,
  source: MetricsSource,
  onError: (error: unknown) => void,
): MetricsServer {
  try {
    return serveMetrics({
      source,
      port: config.port,
      host: config.host,
      thresholds: config.thresholds,
      onError,
    });
  } catch (error) {
    throw new Error(
      `cannot listen on ${config.host}:${config.port} (KCLTS_HTTP_HOST, KCLTS_HTTP_PORT): ${
        (error as Error).message
      }`,
    );
  }
}
