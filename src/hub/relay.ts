/**
 * The relay the daemon runs per shard in hub mode: `socat` joins the
 * daemon's pipes (its stdin/stdout) to one connection on the hub's socket.
 *
 * EOF semantics (socat's defaults, checked by tests/hub_process_test.ts): the
 * daemon closes the relay's stdin → socat shuts down the socket's writing half →
 * the hub's session reads the end and closes the connection → socat exits 0.
 * The hub closing a failed session's connection → socat closes its stdout and
 * exits 0 once the daemon closes its stdin: the daemon reads the end of the
 * child's output without a status, which is how it sees any child fail (it
 * never looks at the exit code: `MultiLangProtocol.waitForStatusMessage`
 * fails, then `MultiLangShardRecordProcessor.stopProcessing` stops the daemon).
 *
 * `setsid -w` starts socat in a session of its own, so that Ctrl+C in a
 * terminal (SIGINT to the whole foreground process group: launcher, daemon,
 * hub and relays) does not kill the relays in the middle of the daemon's
 * graceful shutdown; a per-process child ignores SIGINT for the same reason.
 * The daemon spawns its children in its own process group, not as group
 * leaders, so setsid does not fork: the daemon waits for socat itself (`-w`
 * covers the other case).
 *
 * @module
 */

/** socat's transfer buffer: one read/write per 128 KiB of a `processRecords` line (default 8 KiB). */
export const RELAY_BUFFER_BYTES = 131072;

/**
 * The relay's command words, for a socket path.
 *
 * @param socket The hub's socket (absolute; no spaces, ':', ',' or '!').
 * @param socat The socat executable. @default {"socat"}
 * @param setsid The setsid executable, to start socat in its own session (`null`: without).
 * @returns The command words.
 */
export function relayWords(
  socket: string,
  socat = "socat",
  setsid: string | null = null,
): string[] {
  const relay = [socat, "-b", String(RELAY_BUFFER_BYTES), "STDIO", `UNIX-CONNECT:${socket}`];
  return setsid ? [setsid, "-w", ...relay] : relay;
}

/**
 * The relay as the daemon's `executableName` (split on spaces by the daemon).
 *
 * @param socket The hub's socket.
 * @param socat The socat executable.
 * @param setsid The setsid executable (`null`: without).
 * @returns The command line.
 */
export function relayCommand(
  socket: string,
  socat = "socat",
  setsid: string | null = null,
): string {
  return relayWords(socket, socat, setsid).join(" ");
}

/**
 * Finds an executable on the `PATH`.
 *
 * @param name The executable's name, e.g. `socat` or `setsid`.
 * @param env The environment.
 * @returns Its path, or `undefined` if it is not installed.
 */
export function findOnPath(
  name: string,
  env: Record<string, string | undefined>,
): string | undefined {
  for (const dir of (env.PATH ?? "/usr/bin:/bin").split(":")) {
    if (!dir) continue;
    try {
      const info = Deno.statSync(`${dir}/${name}`);
      if (info.isFile && ((info.mode ?? 0) & 0o111) !== 0) return `${dir}/${name}`;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Finds socat on the `PATH`.
 *
 * @param env The environment.
 * @returns Its path, or `undefined` if it is not installed.
 */
export function findSocat(env: Record<string, string | undefined>): string | undefined {
  return findOnPath("socat", env);
}
