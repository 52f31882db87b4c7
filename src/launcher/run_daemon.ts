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
}

/** Signals passed on to the daemon. */
const FORWARDED: readonly Deno.Signal[] = ["SIGTERM", "SIGINT", "SIGHUP"];

const SIGNAL_NUMBERS: Partial<Record<Deno.Signal, number>> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGKILL: 9,
  SIGTERM: 15,
};

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
 * Starts the daemon and waits for it. SIGTERM, SIGINT and SIGHUP are passed
 * on (the daemon then runs its graceful shutdown: `shutdownRequested`, final
 * checkpoints, `leaseLost`); a third signal kills it.
 *
 * The JVM exits with 128 + the signal number after a shutdown that a signal
 * started, even when it went well; a shutdown the launcher was asked for is
 * the expected end, so that exit counts as 0.
 *
 * @param command What to run.
 * @param onStart Called with the daemon's process id once it runs.
 * @returns The daemon's exit code: 0 after a requested shutdown, else the
 * JVM's (128 + signal number if a signal killed it).
 * @throws {Deno.errors.NotFound} If the Java executable does not exist.
 */
export async function runDaemon(
  command: DaemonCommand,
  onStart?: (pid: number) => void,
): Promise<number> {
  const child = new Deno.Command(command.java, {
    args: javaArguments(command),
    stdin: "piped",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  onStart?.(child.pid);
  let signals = 0;
  let requested: Deno.Signal | undefined;
  const forward = (signal: Deno.Signal) => () => {
    signals++;
    requested ??= signal;
    try {
      child.kill(signals >= 3 ? "SIGKILL" : signal);
    } catch {
      // already gone
    }
  };
  const listeners = FORWARDED.map((signal) => [signal, forward(signal)] as const);
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
    if (requested && status.code === 128 + (SIGNAL_NUMBERS[requested] ?? -128)) return 0;
    return status.code;
  } finally {
    for (const [signal, listener] of listeners) Deno.removeSignalListener(signal, listener);
  }
}
