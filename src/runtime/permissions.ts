/**
 * The Deno flags (permissions and V8 settings) a processor program runs with: baked into the
 * binary by `deno task compile`, and given to `deno run` in development (the
 * launcher's `executableName`, the tests). A test keeps deno.json's `compile`
 * task equal to this list.
 *
 * - `--allow-env`: `KCLTS_*` settings; the launcher reads `STREAM_NAME`,
 *   `KCL_*`, ... (a prefix cannot be scoped).
 * - `--allow-read`: the launcher reads the properties template and checks
 *   the jar; `Deno.execPath()` needs it.
 * - `--allow-run`: the launcher starts `java` (from `JAVA_HOME` or `PATH`).
 * - `--allow-write`: hub mode creates its socket (and its private directory);
 *   in per-process mode with `KCLTS_HTTP_PORT`, each child keeps a metrics
 *   state file in a private directory the launcher creates.
 * - `--allow-net`: `doctor` checks that the endpoints answer; processors
 *   usually send records somewhere.
 * - `--allow-sys=hostname,uid`: the default `workerId`; hub mode checks that its
 *   socket's directory is the user's own.
 * - `--no-prompt`: never ask on a terminal (stdin carries the protocol).
 * - `--v8-flags=--max-semi-space-size=2`: a 2 MiB young generation instead of
 *   up to 16 MiB. Batches are short-lived garbage, and there is one process
 *   per shard: this saves about 10 MiB per process at no measurable cost in
 *   throughput (`deno task bench`).
 * - `--heap-growing-percent=10` (same flag): after a full GC, V8 lets the old
 *   generation grow to 1.1x its live size before the next one, instead of up
 *   to 4x. With a 2 MiB young generation the batches in hand are promoted, and
 *   the default growth kept 2 to 4x the live data: a hub serving 32 shards
 *   went from 124 to 90 MiB PSS, a child's peak RSS on (ii) from 173 to 109
 *   MiB and on (i) from 74 to 69 MiB, for about 2 to 4% of one shard's
 *   records/s (bench/README.md). It must be baked in: a compiled binary does
 *   not read `DENO_V8_FLAGS` (denort passes no environment flags to V8), and
 *   `node:v8`'s `setFlagsFromString` comes too late for the heap's sizing.
 * - Hub mode's binary (`deno task compile --hub`) differs only in its young
 *   generation, 16 MiB ({@linkcode runtimeFlags}); a binary's flags are fixed
 *   when it is compiled, so a hub run from a per-process build works, with
 *   the smaller young generation.
 *
 * @module
 */

/** The per-process child's V8 flags (see above). */
const CHILD_V8_FLAGS = "--max-semi-space-size=2,--heap-growing-percent=10";

/**
 * The hub's V8 flags: a 16 MiB young generation. One hub serves every shard,
 * so the batches in hand of all of them live at once; in a 2 MiB young
 * generation they are copied and promoted, and the hub spent as much CPU
 * again on GC: 8 shards at 0.7x the records/s of a process per shard. With 16
 * MiB the hub does the same work in half the CPU (bench/README.md, "Hub
 * mode") and serves 32 shards in about the same memory, but a process per
 * shard would grow by about 10 MiB each: so the flags depend on the mode.
 */
const HUB_V8_FLAGS = "--max-semi-space-size=16,--heap-growing-percent=10";

/** What a binary is built for: a process per shard (the default) or hub mode. */
export type BuildMode = "process" | "hub";

/**
 * The flags for a mode, in the order deno.json's `compile` task gives them.
 *
 * @param mode `"process"`: the child's V8 flags; `"hub"`: the hub's.
 * @returns The flags.
 *
 * @example
 * ```ts
 * import { runtimeFlags } from "./permissions.ts";
 * import { ok } from "node:assert/strict";
 *
 * ok(runtimeFlags("hub").includes("--v8-flags=--max-semi-space-size=16,--heap-growing-percent=10"));
 * ```
 */
export function runtimeFlags(mode: BuildMode): string[] {
  return [
    "--allow-env",
    "--allow-read",
    "--allow-run",
    "--allow-write",
    "--allow-net",
    "--allow-sys=hostname,uid",
    "--no-prompt",
    `--v8-flags=${mode === "hub" ? HUB_V8_FLAGS : CHILD_V8_FLAGS}`,
  ];
}

/** The flags of a process per shard, in the order deno.json's `compile` task gives them. */
export const PERMISSION_FLAGS: readonly string[] = runtimeFlags("process");

/**
 * The `deno compile` arguments for a processor: these flags, `--frozen` (the
 * lockfile decides every dependency), the output and the entry file. The
 * `compile` task of this repository and of projects made by `init` use them.
 *
 * @param entry The processor's main module.
 * @param output The binary to write.
 * @param mode `"hub"` bakes the hub's V8 flags in: for a binary that runs `launch --hub`.
 * @returns The arguments after `deno`.
 */
export function compileArguments(
  entry: string,
  output: string,
  mode: BuildMode = "process",
): string[] {
  return ["compile", ...runtimeFlags(mode), "--frozen", "--output", output, entry];
}
