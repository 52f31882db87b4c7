/**
 * `deno task compile [entry]`: compiles a processor into one binary with the
 * runtime flags every kclts processor runs with (src/runtime/permissions.ts), so the
 * Dockerfile, the launcher's development command and the tests cannot drift.
 *
 * The entry is the first argument, else `$PROCESSOR`, else `processor.ts`;
 * the output is `$OUTPUT`, else `dist/processor`. `--hub` (or `KCLTS_HUB=1`)
 * builds a binary for hub mode: the hub's V8 flags (a 16 MiB young
 * generation) instead of a per-shard child's.
 *
 * `deno compile` builds the binary on `denort`, the Deno runtime without the
 * CLI's tools, which it downloads once per Deno version and target from
 * dl.deno.land into `DENO_DIR` (`DENORT_BIN` points it at a local copy
 * instead). When that download fails, this says so and what to do, and
 * removes the directories `deno compile` created for the output.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { type BuildMode, compileArguments } from "../src/runtime/permissions.ts";
import { hubFromEnv } from "../src/launcher/hub.ts";

export { compileArguments };

/**
 * The explanation of a failed `denort` download, if `deno compile`'s error
 * output is one.
 *
 * @param stderr What `deno compile` wrote to stderr.
 * @param denoVersion The Deno version (for the URL when the output has none).
 * @returns The explanation, or `undefined` for any other failure.
 *
 * @example
 * ```ts
 * import { denortFailure } from "./compile.ts";
 * import { ok } from "node:assert/strict";
 *
 * const stderr = "error sending request for url (https://dl.deno.land/release/v2.9.6/" +
 *   "denort-x86_64-unknown-linux-gnu.zip): client error (Connect): dns error";
 * ok(denortFailure(stderr, "2.9.6")?.includes("DENORT_BIN"));
 * ok(denortFailure("error: Module not found", "2.9.6") === undefined);
 * ```
 */
export function denortFailure(stderr: string, denoVersion: string): string | undefined {
  // deno 2.x: "Download https://dl.deno.land/release/v2.9.6/denort-<target>.zip", then the error
  const url = stderr.match(/https:\/\/dl\.deno\.land\/\S*denort-[\w-]+\.zip/)?.[0];
  if (!url || !/error/i.test(stderr.slice(stderr.indexOf(url)))) return undefined;
  return `
deno compile could not download denort, the Deno runtime (without the CLI's tools) that every
compiled binary is built on:
  ${url}
(a zip of some tens of MB, once per Deno version ${denoVersion} and target; then cached in DENO_DIR:
later compiles work offline). It could not be downloaded here. Either:
  - run "deno task compile" once where dl.deno.land is reachable (the cache is DENO_DIR's dl/), or
  - set DENORT_BIN to a denort binary of Deno ${denoVersion} (the one in that zip), or
  - do without a binary: "deno task processor launch" runs the same launcher and child, with the
    same flags, under deno run.
`;
}

/** The directories above `path` that do not exist yet, deepest first. */
function missingParents(path: string): string[] {
  const missing: string[] = [];
  for (let dir = parent(path); dir !== "" && dir !== "/" && dir !== "."; dir = parent(dir)) {
    try {
      Deno.statSync(dir);
      break;
    } catch {
      missing.push(dir);
    }
  }
  return missing;
}

function parent(path: string): string {
  const at = path.replace(/\/+$/, "").lastIndexOf("/");
  return at < 0 ? "." : at === 0 ? "/" : path.slice(0, at);
}

/**
 * Runs `deno compile` for an entry file, passing its output through to
 * stderr; on failure, explains a failed `denort` download and removes the
 * (empty) directories it created for the output.
 *
 * @param entry The processor's main module.
 * @param output The binary to write.
 * @param mode What the binary is for: a process per shard, or hub mode.
 * @returns `deno compile`'s exit code.
 */
export async function compile(
  entry: string,
  output: string,
  mode: BuildMode = "process",
): Promise<number> {
  const args = compileArguments(entry, output, mode);
  const encoder = new TextEncoder();
  Deno.stderr.writeSync(encoder.encode(`deno ${args.join(" ")}\n`));
  const created = missingParents(output);
  const child = new Deno.Command(Deno.execPath(), { args, stderr: "piped" }).spawn();
  let stderr = "";
  const decoder = new TextDecoder();
  for await (const chunk of child.stderr) {
    for (let written = 0; written < chunk.length;) {
      written += Deno.stderr.writeSync(chunk.subarray(written));
    }
    stderr += decoder.decode(chunk, { stream: true });
  }
  const { code } = await child.status;
  if (code === 0) return 0;
  const explanation = denortFailure(stderr, Deno.version.deno);
  if (explanation) Deno.stderr.writeSync(encoder.encode(explanation));
  for (const dir of created) {
    try {
      Deno.removeSync(dir); // only if empty
    } catch {
      break;
    }
  }
  return code;
}

if (import.meta.main) {
  let code: number;
  try {
    const { values, positionals } = parseArgs({
      args: Deno.args,
      options: { hub: { type: "boolean", default: false } },
      allowPositionals: true,
    });
    if (positionals.length > 1) throw new Error(`one entry file, not ${positionals.join(" ")}`);
    const entry = positionals[0] ?? Deno.env.get("PROCESSOR") ?? "processor.ts";
    const output = Deno.env.get("OUTPUT") ?? "dist/processor";
    // KCLTS_HUB means what it means to the launcher (src/launcher/hub.ts).
    const mode = values.hub || hubFromEnv(Deno.env.get("KCLTS_HUB")) ? "hub" : "process";
    code = await compile(entry, output, mode);
  } catch (error) {
    Deno.stderr.writeSync(
      new TextEncoder().encode(
        `deno task compile: ${
          (error as Error).message
        }\nUsage: deno task compile [--hub] [ENTRY]\n`,
      ),
    );
    code = 2;
  }
  Deno.exit(code);
}
