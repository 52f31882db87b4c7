/**
 * The connection over a socket (hub mode: one Unix socket connection per
 * shard, from the daemon's relay). Like {@linkcode connectStdio}, it reads
 * into one reused buffer, without Web Streams.
 *
 * @module
 */

import { type Connection, type ConnectOptions, connectSource } from "./connection.ts";

/** The part of a `Deno.Conn` the connection uses. */
export interface SocketLike {
  /** Reads into `buffer`; `null` at the end. */
  read(buffer: Uint8Array): Promise<number | null>;
  /** Writes some of `bytes` and returns how many. */
  write(bytes: Uint8Array): Promise<number>;
  /** Ends the writing half (the peer reads the end of its input). */
  closeWrite(): Promise<void>;
  /** Closes both halves. */
  close(): void;
}

/**
 * Connects to a daemon over a socket: its messages are read from `conn`, the
 * child's answers are written to it. Closing the connection closes the
 * socket, so the relay on the other side (and the daemon) see the end.
 *
 * @param conn The socket, e.g. a `Deno.UnixConn` from `Deno.listen`.
 * @param options Tracing.
 * @returns The connection.
 *
 * @example
 * ```ts ignore
 * import { connectSocket, run } from "@kclts/kclts";
 *
 * const listener = Deno.listen({ transport: "unix", path: "/tmp/kclts/hub.sock" });
 * for await (const conn of listener) {
 *   void run({ processRecords() {} }, { connection: connectSocket(conn) });
 * }
 * ```
 */
export function connectSocket(conn: SocketLike, options: ConnectOptions = {}): Connection {
  // A socket hands over at most its receive buffer at a time; the line reader
  // is done with a chunk before it asks for the next, so one buffer is reused.
  const buffer = new Uint8Array(256 * 1024);
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    try {
      conn.close();
    } catch {
      // already closed
    }
  };
  const source = {
    next: async () => {
      if (closed) return null;
      try {
        const n = await conn.read(buffer);
        return n === null ? null : buffer.subarray(0, n);
      } catch (error) {
        // A read stopped by close(), or a reset connection: the input has ended.
        if (closed || isConnectionEnd(error)) return null;
        throw error;
      }
    },
    cancel: () => {
      close();
      return Promise.resolve();
    },
  };
  const sink = async (bytes: Uint8Array) => {
    let rest = bytes;
    while (rest.length > 0) rest = rest.subarray(await conn.write(rest));
  };
  const connection = connectSource(source, sink, options);
  // close() cancels the source, which closes the socket: reads and writes both end.
  return connection;
}

function isConnectionEnd(error: unknown): boolean {
  return error instanceof Deno.errors.ConnectionReset ||
    error instanceof Deno.errors.BrokenPipe ||
    error instanceof Deno.errors.BadResource ||
    error instanceof Deno.errors.Interrupted;
}
