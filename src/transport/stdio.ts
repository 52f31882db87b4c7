/**
 * The edge: the connection over the process's own stdin and stdout. This is
 * the only module that touches them.
 *
 * @module
 */

import { type Connection, type ConnectOptions, connectStreams } from "./connection.ts";

/**
 * Connects to the daemon that spawned this process: its messages arrive on
 * stdin, the child's answers go to stdout. Nothing else may write to stdout.
 *
 * @param options Tracing.
 * @returns The connection.
 *
 * @example
 * ```ts ignore
 * import { connectStdio, run } from "@kclts/kclts";
 *
 * await run({ processRecords() {} }, { connection: connectStdio() });
 * ```
 */
export function connectStdio(options: ConnectOptions = {}): Connection {
  // Writes are synchronous: a message is small and the daemon reads it at once
  // (it only ever waits for our answer), and it saves a round trip through the
  // event loop for each status and checkpoint.
  const stdout = new WritableStream<Uint8Array>({
    write(chunk) {
      let rest = chunk;
      while (rest.length > 0) rest = rest.subarray(Deno.stdout.writeSync(rest));
    },
  });
  return connectStreams(Deno.stdin.readable, stdout, options);
}
