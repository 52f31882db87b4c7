/**
 * Per-process mode's metrics: the launcher creates a private directory
 * (0700), hands it to the daemon's children through {@linkcode METRICS_DIR_ENV}
 * (the daemon's `ProcessBuilder` passes its environment on), and serves
 * `/metrics` and `/healthz` from the children's state files plus its own view
 * of the JVM.
 *
 * @module
 */

import type { MetricsConfig } from "./config.ts";
import { type MetricsServer, serveConfigured } from "./server.ts";
import { METRICS_DIR_ENV, readStateDir } from "./state_file.ts";
import type { MetricsView } from "./view.ts";

/** The launcher's side of the metrics. */
export interface LauncherMetrics extends AsyncDisposable {
  /** The environment to add to the daemon's. */
  readonly env: Record<string, string>;
  /** The listener. */
  readonly server: MetricsServer;
  /** The state files' directory. */
  readonly dir: string;
  /** The daemon runs (from now on). */
  daemonStarted(): void;
  /** The daemon has exited. */
  daemonExited(): void;
  /** Stops the listener and removes the directory. */
  close(): Promise<void>;
}

/**
 * Starts the launcher's listener.
 *
 * @param config Port, address, thresholds.
 * @param emptyBatches Whether the daemon calls `processRecords` for empty batches.
 * @param onError Reports problems (unreadable state files, a failing request).
 * @returns The running metrics.
 * @throws {Error} If the directory cannot be created or the port is taken.
 */
export async function startLauncherMetrics(
  config: MetricsConfig,
  emptyBatches: boolean,
  onError: (message: string) => void,
): Promise<LauncherMetrics> {
  const dir = await Deno.makeTempDir({ prefix: "kclts-metrics-" });
  await Deno.chmod(dir, 0o700);
  let daemonUp: boolean | null = null;
  const reported = new Set<string>();
  const source = {
    async view(): Promise<MetricsView> {
      const { shards, problems } = await readStateDir(dir);
      for (const problem of problems) {
        if (reported.has(problem)) continue;
        reported.add(problem);
        onError(`skipping a state file in ${dir}: ${problem}`);
      }
      return { now: Date.now(), shards, daemonUp, emptyBatches };
    },
  };
  let server: MetricsServer;
  try {
    server = serveConfigured(
      config,
      source,
      (error) => onError(`metrics: ${(error as Error)?.message ?? error}`),
    );
  } catch (error) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw error;
  }
  const close = async () => {
    await server.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  return {
    env: { [METRICS_DIR_ENV]: dir },
    server,
    dir,
    daemonStarted: () => void (daemonUp = true),
    daemonExited: () => void (daemonUp = false),
    close,
    [Symbol.asyncDispose]: close,
  };
}
