/**
 * The edge: the connection over the process's own stdin and stdout. This is
 * the only module that reads stdin and writes protocol lines to stdout
 * (`runtime/stdout_guard.ts` diverts everyone else's stdout writes).
 *
 * @module
 */

import { type Connection, type ConnectOptions, connectSource } from "./connection.ts";
import { type SyncWriter, writeAllSync } from "./write_all.ts";

/** Options of {@linkcode connectStdio}. */
export interface StdioOptions extends ConnectOptions {
  /**
   * The writer of the process's real stdout, when other code's writes to
   * `Deno.stdout` are diverted (see `guardStdout`). @default {Deno.stdout}
   */
  stdout?: SyncWriter;
}

/**
 * Connects to the daemon that spawned this process: its messages arrive on
 * stdin, the child's answers go to stdout. Nothing else may write to stdout.
 *
 * @param options Tracing, and the stdout writer.
 * @returns The connection.
 *
 * @example
 * ```ts ignore
 * import { connectStdio, run } from "@kclts/kclts";
 *
 * await run({ processRecords() {} }, { connection: connectStdio() });
 * ```
 */
export function connectStdio(options: StdioOptions = {}): Connection {
  const { stdout = Deno.stdout, ...connect } = options;
  // No Web Streams here: setting them up costs milliseconds of start-up, and
  // each shard has its own process. Reads go through one reused buffer (a
  // pipe hands over at most 64 KiB at a time): the line reader decodes each
  // chunk before it asks for the next, so nothing is copied out.
  const buffer = new Uint8Array(64 * 1024);
  const input = {
    next: async () => {
      const n = await Deno.stdin.read(buffer);
      return n === null ? null : buffer.subarray(0, n);
    },
  };
  // Writes are synchronous: a message is small and the daemon reads it at once
  // (it only ever waits for our answer), and it saves a round trip through the
  // event loop for each status and checkpoint.
  return connectSource(input, (bytes) => writeAllSync(stdout, bytes), connect);
}
