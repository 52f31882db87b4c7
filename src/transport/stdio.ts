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
  return connectStreams(Deno.stdin.readable, Deno.stdout.writable, options);
}
