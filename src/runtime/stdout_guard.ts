/**
 * Keeps `Deno.stdout` and Node's `process.stdout` off the protocol channel
 * while the processor runs: bytes written there without a newline would glue
 * onto the next protocol line, which the daemon then skips ("Skipping
 * unexpected line", `GetNextMessageTask`) while both sides wait for ever.
 *
 * @module
 */

import { type SyncWriter, writeAllSync } from "../transport/write_all.ts";

/** What {@linkcode guardStdout} returns. */
export interface StdoutGuard {
  /** Writes to the process's real stdout: only the protocol may use it. */
  readonly protocol: SyncWriter;
  /** Puts the previous `Deno.stdout` methods back. */
  restore(): void;
}

/** Options of {@linkcode guardStdout}. */
export interface StdoutGuardOptions {
  /** Where the diverted bytes go. @default {Deno.stderr} */
  stray?: SyncWriter;
}

const GUARDED = ["write", "writeSync", "writable"] as const;
const NEWLINE = new Uint8Array([10]);

/**
 * Sends what other code writes to stdout to stderr instead, each write ending
 * a line (a newline is added if it has none, so that it cannot glue onto a
 * log line on stderr): it replaces
 * `Deno.stdout.write`, `Deno.stdout.writeSync` and `Deno.stdout.writable` on
 * the `Deno.stdout` object, which also covers Node's `process.stdout.write`
 * (Deno's `node:process` writes through `Deno.stdout.writeSync`, checked with
 * Deno 2.9.6). The protocol keeps a private writer to the real stdout.
 *
 * Not covered: a `Deno.stdout.writable` stream obtained before the guard,
 * `node:fs` writes to file descriptor 1, `/dev/stdout`, FFI, and
 * subprocesses that inherit stdout. The protocol's framing (a newline before
 * every message) keeps such bytes from corrupting a message; the daemon logs
 * and skips them.
 *
 * @param options Where the diverted bytes go.
 * @returns The protocol's writer and a function that undoes the guard.
 *
 * @example
 * ```ts
 * import { guardStdout } from "@kclts/kclts";
 * import { strictEqual } from "node:assert/strict";
 *
 * let stray = "";
 * const guard = guardStdout({
 *   stray: { writeSync: (bytes) => (stray += new TextDecoder().decode(bytes), bytes.length) },
 * });
 * try {
 *   Deno.stdout.writeSync(new TextEncoder().encode("progress 10%\r"));
 * } finally {
 *   guard.restore();
 * }
 * strictEqual(stray, "progress 10%\r\n");
 * ```
 */
export function guardStdout(options: StdoutGuardOptions = {}): StdoutGuard {
  const stray = options.stray ?? Deno.stderr;
  const stdout = Deno.stdout as unknown as Record<string, unknown>;
  const own = new Map<string, PropertyDescriptor | undefined>();
  for (const name of GUARDED) own.set(name, Object.getOwnPropertyDescriptor(stdout, name));
  // Bound now: whatever stdout is at this moment (the real one, or a test's stand-in).
  const writeSync = Deno.stdout.writeSync.bind(Deno.stdout);
  const protocol: SyncWriter = { writeSync };
  // Each diverted write ends a line: stderr carries log lines (the daemon logs
  // each line of a child's stderr), and "x" must not glue onto the next one.
  const divertSync = (bytes: Uint8Array): number => {
    if (bytes.length === 0) return 0;
    writeAllSync(stray, bytes);
    if (bytes[bytes.length - 1] !== 10) writeAllSync(stray, NEWLINE);
    return bytes.length;
  };
  let writable: WritableStream<Uint8Array> | undefined;
  Object.defineProperty(stdout, "writeSync", { value: divertSync, configurable: true });
  Object.defineProperty(stdout, "write", {
    value: (bytes: Uint8Array) => Promise.resolve(divertSync(bytes)),
    configurable: true,
  });
  Object.defineProperty(stdout, "writable", {
    get: () => writable ??= new WritableStream({ write: (chunk) => void divertSync(chunk) }),
    configurable: true,
  });
  return {
    protocol,
    restore: () => {
      for (const [name, descriptor] of own) {
        if (descriptor) Object.defineProperty(stdout, name, descriptor);
        else delete stdout[name];
      }
    },
  };
}
