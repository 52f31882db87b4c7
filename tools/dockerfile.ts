/**
 * Keeps the top-level Dockerfile's copy of the runtime image in step with
 * `docker/runtime/Dockerfile`, the one place the runtime is written.
 *
 * A plain `docker build .` cannot include another Dockerfile, so the
 * top-level Dockerfile carries the runtime's instructions (everything after
 * its leading comment) between two marker lines, and builds its final stage
 * `FROM runtime`. `deno run -A tools/dockerfile.ts` rewrites that block;
 * `--check` only reports a difference (tests/docker_test.ts checks the same).
 *
 * @module
 */

/** The line that opens the copied block. */
export const BEGIN_MARKER =
  "# >>> docker/runtime/Dockerfile, copied by tools/dockerfile.ts: edit that file, not this block";
/** The line that closes the copied block. */
export const END_MARKER = "# <<< docker/runtime/Dockerfile";

/**
 * The instructions of the runtime Dockerfile: its text after the leading
 * comment (the usage notes, which do not apply to the including file).
 *
 * @param runtime The text of `docker/runtime/Dockerfile`.
 * @returns The text from its first line that is neither a comment nor blank.
 */
export function runtimeInstructions(runtime: string): string {
  const lines = runtime.replace(/\r\n/g, "\n").split("\n");
  const first = lines.findIndex((line) => line.trim() !== "" && !line.trim().startsWith("#"));
  if (first < 0) throw new SyntaxError("The runtime Dockerfile has no instructions");
  return lines.slice(first).join("\n").trimEnd();
}

/**
 * The top-level Dockerfile with its block replaced by the runtime's
 * instructions.
 *
 * @param top The text of the top-level Dockerfile.
 * @param runtime The text of `docker/runtime/Dockerfile`.
 * @returns The new text (equal to `top` when the block is up to date).
 * @throws {SyntaxError} If the markers are missing or out of order.
 */
export function withRuntimeBlock(top: string, runtime: string): string {
  const begin = top.indexOf(`${BEGIN_MARKER}\n`);
  const end = top.indexOf(`${END_MARKER}\n`);
  if (begin < 0 || end < begin) {
    throw new SyntaxError(
      `The Dockerfile needs the lines "${BEGIN_MARKER}" and "${END_MARKER}", in that order`,
    );
  }
  return top.slice(0, begin + BEGIN_MARKER.length + 1) + runtimeInstructions(runtime) + "\n" +
    top.slice(end);
}

if (import.meta.main) {
  const root = decodeURIComponent(new URL("..", import.meta.url).pathname);
  const topPath = `${root}Dockerfile`;
  const top = await Deno.readTextFile(topPath);
  const updated = withRuntimeBlock(
    top,
    await Deno.readTextFile(`${root}docker/runtime/Dockerfile`),
  );
  const encoder = new TextEncoder();
  if (updated === top) {
    Deno.stderr.writeSync(encoder.encode("Dockerfile: the runtime block is up to date\n"));
  } else if (Deno.args.includes("--check")) {
    Deno.stderr.writeSync(
      encoder.encode(
        "Dockerfile: the runtime block differs: run deno run -A tools/dockerfile.ts\n",
      ),
    );
    Deno.exit(1);
  } else {
    await Deno.writeTextFile(topPath, updated);
    Deno.stderr.writeSync(encoder.encode("Dockerfile: the runtime block was updated\n"));
  }
}
