/**
 * Synchronous writes that finish: `writeSync` may write fewer bytes than
 * given (a pipe), so the rest is written until nothing is left.
 *
 * @module
 */

const encoder = new TextEncoder();

/** Anything with a synchronous `writeSync`, e.g. `Deno.stdout` or `Deno.stderr`. */
export interface SyncWriter {
  /** Writes some of `bytes` and returns how many. */
  writeSync(bytes: Uint8Array): number;
}

/**
 * Writes all of `data` to `writer`.
 *
 * @param writer Where to write, e.g. `Deno.stderr`.
 * @param data Text (written as UTF-8) or bytes.
 */
export function writeAllSync(writer: SyncWriter, data: string | Uint8Array): void {
  let rest = typeof data === "string" ? encoder.encode(data) : data;
  while (rest.length > 0) rest = rest.subarray(writer.writeSync(rest));
}
