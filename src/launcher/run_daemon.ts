/**
 * Runs the MultiLangDaemon: `java -jar sylvite.jar`, with the rendered
 * properties fed on its stdin (nothing written to disk, no secrets left in a
 * file), signals forwarded so that it shuts down gracefully.
 *
 * @module
 */

/** How to start the daemon. */
export interface DaemonCommand {
  /** The Java executable. */
  java: string;
  /** Extra JVM options (from `KCLTS_JAVA_OPTS`). */
  javaOptions: readonly string[];
  /** The daemon jar. */
  jar: string;
  /** The rendered properties text. */
  properties: string;
  /** Environment added to the launcher's (the daemon passes it on to its children). */
  env?: Record<string, string>;
}

/** Signals that ask the launcher to stop the daemon gracefully. */
const STOP_SIGNALS: readonly Deno.Signal[] = ["SIGTERM", "SIGINT", "SIGHUP"];

const SIGNAL_NUMBERS: Partial<Record<Deno.Signal, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGKILL: 9,
  SIGTERM: 15,
};

/** The JVM's exit codes after a shutdown that SIGHUP, SIGINT or SIGTERM started. */
const SIGNALLED_EXITS: ReadonlySet<number> = new Set(
  STOP_SIGNALS.map((signal) => 128 + SIGNAL_NUMBERS[signal]!),
);

/**
 * The `java` command line for the daemon.
 *
 * @param command The daemon command.
 * @returns The arguments after the Java executable.
 */
export function javaArguments(command: DaemonCommand): string[] {
  return [
    "-Dfile.encoding=UTF-8",
    "-Dsun.stdout.encoding=UTF-8",
    "-Dsun.stderr.encoding=UTF-8",
    ...command.javaOptions,
    "-jar",
    command.jar,
    "--properties-file",
    "/dev/stdin",
  ];
}

/**
 * Starts the daemon and waits for it.
 *
 * SIGTERM, SIGINT and SIGHUP each start the daemon's graceful shutdown
 * (`shutdownRequested`, final checkpoints, `leaseLost`): the launcher sends
 * the JVM SIGTERM, whichever it received. A JVM started in the background by
 * a script inherits SIGINT (and, under `nohup`, SIGHUP) as ignored and then
 * installs no handler for it, so passing SIGINT on would do nothing; SIGTERM
 * always runs the JVM's shutdown hooks (`MultiLangDaemon.setupShutdownHook`).
 * The third signal kills the JVM (SIGKILL). Each is logged through `log`.
 *
 * The JVM exits with 128 + the signal number after a shutdown that a signal
 * started, even when it went well; a shutdown the launcher was asked for is
 * the expected end, so that exit counts as 0. The daemon never stops by
 * itself when all is well: an exit the launcher did not ask for is a failure,
 * even with code 0 (KCL 3.1.3's `MultiLangDaemon` exits 0 when the scheduler
 * gives up initializing, e.g. without credentials), and the launcher then
 * exits 1 so that a supervisor's `on-failure` restart policy applies.
 *
 * @param command What to run.
 * @param onStart Called with the daemon's process id once it runs.
 * @param log Receives one line about each signal and about an unrequested exit.
 * @returns 0 after a requested shutdown; else the JVM's code, 1 for an
 * unrequested exit 0, 128 + signal number if a signal killed it.
 * @throws {Deno.errors.NotFound} If the Java executable does not exist.
 */
export async function runDaemon(
  command: DaemonCommand,
  onStart?: (pid: number) => void,
  log: (line: string) => void = () => {},
): Promise<number> {
  const child = new Deno.Command(command.java, {
    args: javaArguments(command),
    ...(command.env ? { env: command.env } : {}),
    stdin: "piped",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  onStart?.(child.pid);
  let signals = 0;
  let requested: Deno.Signal | undefined;
  const stop = (signal: Deno.Signal) => () => {
    signals++;
    requested ??= signal;
    const kill = signals >= 3;
    log(
      kill
        ? `received ${signal} (the third signal): killing the daemon (SIGKILL)`
        : signals === 1
        ? `received ${signal}: asking the daemon to shut down gracefully (SIGTERM to pid ${child.pid})`
        : `received ${signal} again: the daemon is shutting down; a third signal kills it`,
    );
    try {
      child.kill(kill ? "SIGKILL" : "SIGTERM");
    } catch {
      // already gone
    }
  };
  const listeners = STOP_SIGNALS.map((signal) => [signal, stop(signal)] as const);
  for (const [signal, listener] of listeners) Deno.addSignalListener(signal, listener);
  try {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(command.properties));
    await writer.close();
  } catch {
    // the daemon exited before reading its properties; its status says why
  }
  try {
    const status = await child.status;
    if (status.signal) return 128 + (SIGNAL_NUMBERS[status.signal] ?? 0);
    if (requested) return SIGNALLED_EXITS.has(status.code) ? 0 : status.code;
    log(
      `the daemon stopped without being asked to (exit code ${status.code}); its log above says why`,
    );
    return status.code === 0 ? 1 : status.code;
  } finally {
    for (const [signal, listener] of listeners) Deno.removeSignalListener(signal, listener);
  }
}
