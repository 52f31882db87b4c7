/**
 * The hub's Unix socket: created in a directory only this user can enter
 * (mode 0700), with mode 0600; a stale socket file (its hub is gone) is
 * replaced, a live one is an error, anything else at that path is left alone.
 *
 * @module
 */

/** The longest socket path Linux accepts (`sun_path` is 108 bytes with its NUL). */
export const MAX_SOCKET_PATH_BYTES = 107;

/** A listening hub socket, which removes its file when closed. */
export interface HubSocket {
  /** The absolute path. */
  readonly path: string;
  /** The listener. */
  readonly listener: Deno.UnixListener;
  /** Stops listening and removes the socket file (if it is still this one). */
  close(): void;
}

function dirname(path: string): string {
  const at = path.lastIndexOf("/");
  return at <= 0 ? "/" : path.slice(0, at);
}

function octal(mode: number): string {
  return (mode & 0o777).toString(8).padStart(3, "0");
}

/**
 * Checks the socket's directory, creating it (mode 0700) if missing. It must
 * be a real directory owned by this user, closed to the group and others.
 *
 * @param dir The directory.
 * @throws {Error} With the reason and the fix.
 */
export async function ensurePrivateDirectory(dir: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(dir);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    await Deno.mkdir(dir, { mode: 0o700 });
    await Deno.chmod(dir, 0o700); // the umask may have taken bits away, never added
    info = await Deno.lstat(dir);
  }
  if (!info.isDirectory) {
    throw new Error(`${dir} is not a directory (a symbolic link or a file): the hub needs its own`);
  }
  const uid = Deno.uid();
  if (uid !== null && info.uid !== uid) {
    throw new Error(
      `${dir} belongs to user ${info.uid}, not to this user (${uid}): use a directory of your own`,
    );
  }
  const mode = info.mode ?? 0;
  if ((mode & 0o077) !== 0) {
    throw new Error(
      `${dir} is open to other users (mode ${octal(mode)}): the hub's socket needs a directory ` +
        `only you can enter (chmod 700 ${dir}, or name a new directory and the hub creates it)`,
    );
  }
}

/**
 * Whether a hub answers on the socket at `path`.
 *
 * @param path The socket file.
 * @returns `true` if a connection was accepted.
 */
export async function isLive(path: string): Promise<boolean> {
  try {
    const conn = await Deno.connect({ transport: "unix", path });
    conn.close();
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.ConnectionRefused || error instanceof Deno.errors.NotFound) {
      return false;
    }
    throw error;
  }
}

/**
 * Listens on a Unix socket for the hub.
 *
 * @param path The socket's path; its directory is checked (or created) first.
 * @returns The listening socket.
 * @throws {Error} If the path is too long, its directory is not private, a hub
 * already listens there, or something other than a socket is in the way.
 */
export async function listenHubSocket(path: string): Promise<HubSocket> {
  const absolute = path.startsWith("/") ? path : `${Deno.cwd()}/${path}`;
  const bytes = new TextEncoder().encode(absolute).length;
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    throw new Error(
      `The socket path is ${bytes} bytes long, more than the ${MAX_SOCKET_PATH_BYTES} a Unix socket allows: ${absolute}`,
    );
  }
  if (/[\s,:!]/.test(absolute)) {
    // The relay command is split on spaces by the daemon, and socat reads ':' ',' '!' as syntax.
    throw new Error(
      `The socket path must not contain spaces, ':', ',' or '!' (the relay's command line): ${absolute}`,
    );
  }
  await ensurePrivateDirectory(dirname(absolute));
  let existing: Deno.FileInfo | null = null;
  try {
    existing = await Deno.lstat(absolute);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  if (existing) {
    if (!existing.isSocket) {
      throw new Error(`${absolute} exists and is not a socket: not replacing it`);
    }
    if (await isLive(absolute)) {
      throw new Error(
        `A hub is already listening on ${absolute}: stop it first, or use another path`,
      );
    }
    // Stale: its hub is gone (nothing accepts connections). Safe to replace.
    await Deno.remove(absolute);
  }
  const listener = Deno.listen({ transport: "unix", path: absolute });
  await Deno.chmod(absolute, 0o600);
  const inode = (await Deno.lstat(absolute)).ino;
  let closed = false;
  return {
    path: absolute,
    listener,
    close() {
      if (closed) return;
      closed = true;
      try {
        listener.close();
      } catch {
        // already closed
      }
      try {
        // Remove the file only if it is still ours (not a newer hub's).
        if (Deno.lstatSync(absolute).ino === inode) Deno.removeSync(absolute);
      } catch {
        // already gone
      }
    },
  };
}
