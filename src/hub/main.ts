/**
 * `<program> hub --socket PATH`: runs the hub in the foreground until
 * SIGTERM/SIGINT, then until the daemon has closed every connection (or a
 * grace period has passed).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { describe } from "../errors.ts";
import { isFactory, type ProcessorSource } from "../api/factory.ts";
import type { RunOptions } from "../session/session.ts";
import { loadLogTape, logger } from "../runtime/log.ts";
import { configureLogTape, loggingFromEnv } from "../runtime/logging.ts";
import { redirectConsoleToStderr } from "../runtime/console_guard.ts";
import type { ProgramInfo } from "../runtime/start.ts";
import { writeAllSync } from "../transport/write_all.ts";
import { VERSION } from "../version.ts";
import { Hub } from "./hub.ts";

/** The default grace period after a stop signal, in seconds (the launcher's stop timeout). */
const DEFAULT_GRACE_SECONDS = 10;

/**
 * The hub command's usage text.
 *
 * @param info The program's name.
 * @returns The text.
 */
export function hubUsage(info: ProgramInfo): string {
  const n = info.name;
  return `Usage:
  ${n} hub --socket PATH [--grace-seconds N]

Runs every shard of this worker in one process: the daemon's executableName
is then a relay to PATH ("socat STDIO UNIX-CONNECT:PATH"), one per shard, and
each connection is one shard session. "${n} launch --hub" does all this.

The socket's directory is created with mode 0700 if missing, else it must be
private to this user; the socket gets mode 0600. A stale socket file is
replaced; a live one (another hub) is an error.

SIGTERM/SIGINT: stop once the daemon has closed every connection, or after
--grace-seconds (default KCLTS_STOP_TIMEOUT_SECONDS, else ${DEFAULT_GRACE_SECONDS}); a second
signal stops at once. Exit code: 0, or 1 if sessions had to be cut off or the
socket failed, 2 for bad arguments.
`;
}

function fail(info: ProgramInfo, message: string, code = 2): number {
  writeAllSync(Deno.stderr, `${info.name} hub: ${message}\n`);
  return code;
}

function graceSeconds(raw: string | undefined): number | undefined {
  if (raw === undefined || raw.trim() === "") return DEFAULT_GRACE_SECONDS;
  const value = Number(raw);
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

/**
 * Runs the hub command.
 *
 * @param args The arguments after `hub`.
 * @param source The processor factory given to `start()` (an instance is an error).
 * @param options The sessions' options.
 * @param info The program's name and version.
 * @returns The exit code.
 */
export async function hubMain(
  args: string[],
  source: ProcessorSource,
  options: Omit<RunOptions, "connection" | "stats">,
  info: ProgramInfo,
): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        socket: { type: "string" },
        "grace-seconds": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    return fail(info, (error as Error).message);
  }
  if (values.help) {
    writeAllSync(Deno.stdout, hubUsage(info));
    return 0;
  }
  const socket = values.socket ?? Deno.env.get("KCLTS_HUB_SOCKET");
  if (!socket) return fail(info, "--socket PATH is required");
  const rawGrace = values["grace-seconds"] ?? Deno.env.get("KCLTS_STOP_TIMEOUT_SECONDS");
  const grace = graceSeconds(rawGrace);
  if (grace === undefined) {
    return fail(info, `the grace period must be seconds >= 0: "${rawGrace}"`);
  }
  let factory;
  try {
    if (!isFactory(source)) {
      return fail(
        info,
        "hub mode runs every shard in this process, so each needs its own processor: " +
          "give start() a factory, start(() => new MyProcessor(...)), not one shared instance",
      );
    }
    factory = source;
  } catch (error) {
    return fail(info, (error as Error).message);
  }
  let logging;
  try {
    logging = loggingFromEnv(Deno.env.toObject());
  } catch (error) {
    return fail(info, (error as Error).message);
  }
  await loadLogTape((module) => void configureLogTape(module, logging));
  const restoreConsole = redirectConsoleToStderr();
  const log = logger("hub");
  const protocol = logger("protocol");
  const trace = logging.trace
    ? (connection: number, direction: "in" | "out", line: string) =>
      protocol.debug("{arrow} {line}", {
        connection,
        arrow: direction === "in" ? "<<" : ">>",
        line,
      })
    : undefined;
  let hub: Hub;
  try {
    hub = await Hub.listen(factory, { ...options, socket, ...(trace ? { trace } : {}) });
  } catch (error) {
    restoreConsole();
    return fail(info, (error as Error).message, 1);
  }
  let metrics = null;
  try {
    // Loaded only when the listener is on: the metrics bring prom-client.
    const env = Deno.env.toObject();
    const { serveHubMetrics } = env.KCLTS_HTTP_PORT?.trim()
      ? await import("../metrics/live.ts")
      : { serveHubMetrics: () => null };
    metrics = serveHubMetrics(
      () => [...hub.sessions].map((session) => session.stats),
      env,
      (error) => log.warn("metrics: {error}", { error: describe(error) }),
    );
  } catch (error) {
    await hub.close(0);
    restoreConsole();
    return fail(info, (error as Error).message, 1);
  }
  if (metrics) {
    log.info("Serving /metrics and /healthz on http://{host}:{port}", {
      host: metrics.host,
      port: metrics.port,
    });
  }
  log.info("{name} hub listening on {socket} (kclts {kclts}, pid {pid})", {
    name: info.name,
    socket: hub.path,
    kclts: VERSION,
    pid: Deno.pid,
  });
  let signals = 0;
  let stop!: (signal: Deno.Signal) => void;
  const stopped = new Promise<Deno.Signal>((resolve) => stop = resolve);
  let cutNow: (() => void) | null = null;
  const onSignal = (signal: Deno.Signal) => () => {
    signals++;
    if (signals === 1) stop(signal);
    else cutNow?.();
  };
  const handlers = (["SIGTERM", "SIGINT"] as const).map((s) => [s, onSignal(s)] as const);
  for (const [signal, handler] of handlers) Deno.addSignalListener(signal, handler);
  try {
    const first = await Promise.race([stopped, hub.stopped.then((error) => ({ error }))]);
    if (typeof first === "object") {
      await hub.close();
      log.fatal("The hub's socket failed: {error}", { error: describe(first.error) });
      return 1;
    }
    const open = hub.sessions.size;
    log.info(
      "{signal}: stopping once the daemon has closed every connection ({open} open), at most {grace} s",
      { signal: first, open, grace },
    );
    // Keep accepting meanwhile: the daemon may still start a shard while it shuts down.
    const idle = await Promise.race([
      hub.idle(grace * 1000),
      new Promise<boolean>((resolve) => cutNow = () => resolve(false)),
    ]);
    const cut = await hub.close(0);
    const { connections, ended, failed } = hub.totals;
    log.info(
      "Hub stopped: {connections} connections served, {ended} sessions ended, {failed} failed, {cut} cut off",
      { connections, ended, failed, cut },
    );
    return idle && cut === 0 ? 0 : 1;
  } finally {
    await metrics?.close();
    for (const [signal, handler] of handlers) Deno.removeSignalListener(signal, handler);
    restoreConsole();
  }
}
