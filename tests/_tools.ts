/**
 * Finds the linters and validators that .ci/run installs under `.cache/`
 * (PyPI packages in the virtual environment `.cache/py`, actionlint in
 * `.cache/go/bin`), or on `PATH`. A test that needs a missing tool is
 * ignored with a note on stderr, except under CI (`CI` set, as .ci/run and
 * GitHub Actions do), where it runs and fails.
 *
 * @module
 */

import { ROOT } from "./_util.ts";

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/**
 * The path of a tool: `.cache/py/bin/<name>`, `.cache/go/bin/<name>`, or the
 * first `<name>` on `PATH`.
 *
 * @param name The executable's name.
 * @returns The path, or undefined when it is nowhere.
 */
export function findTool(name: string): string | undefined {
  const candidates = [
    `${ROOT}/.cache/py/bin/${name}`,
    `${ROOT}/.cache/go/bin/${name}`,
    ...(Deno.env.get("PATH") ?? "").split(":").filter((dir) => dir !== "").map((dir) =>
      `${dir}/${name}`
    ),
  ];
  return candidates.find(isFile);
}

/**
 * Whether a test needing these tools should be ignored: some are missing and
 * this is not CI. Writes a note naming what is missing.
 *
 * @param file The test file, for the note.
 * @param tools The tools and whether each was found.
 * @returns `ignore` for `Deno.test`.
 */
export function ignoreWithout(file: string, tools: Record<string, boolean>): boolean {
  const missing = Object.entries(tools).filter(([, found]) => !found).map(([name]) => name);
  if (missing.length === 0) return false;
  const ci = (Deno.env.get("CI") ?? "") !== "";
  Deno.stderr.writeSync(
    new TextEncoder().encode(
      `${file}: ${missing.join(", ")} not found (.ci/run installs them under .cache/): ` +
        (ci ? "CI is set, so the tests that need them fail\n" : "those tests are ignored\n"),
    ),
  );
  return !ci;
}

/** The output of a finished command. */
export interface RunResult {
  /** Whether it exited 0. */
  readonly success: boolean;
  /** Its stdout and stderr, joined. */
  readonly output: string;
}

/**
 * Runs a tool to completion.
 *
 * @param command The executable.
 * @param args Its arguments.
 * @param stdin Text for its stdin (none if undefined).
 * @returns Whether it succeeded, and what it printed.
 */
export async function runTool(command: string, args: string[], stdin?: string): Promise<RunResult> {
  const child = new Deno.Command(command, {
    args,
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
  }
  const { success, stdout, stderr } = await child.output();
  const decoder = new TextDecoder();
  return { success, output: decoder.decode(stdout) + decoder.decode(stderr) };
}

/**
 * The repository's files whose names match, skipping dependencies, caches
 * and VCS data.
 *
 * @param match Tells whether a path (relative to the root) is wanted.
 * @returns The relative paths, sorted.
 */
export function repositoryFiles(match: (path: string) => boolean): string[] {
  const found: string[] = [];
  const skip = new Set([".git", ".cache", "node_modules", "dist", "coverage", "target"]);
  const walk = (dir: string) => {
    for (const entry of Deno.readDirSync(`${ROOT}/${dir}`)) {
      const path = dir === "" ? entry.name : `${dir}/${entry.name}`;
      if (entry.isDirectory && !skip.has(entry.name)) walk(path);
      else if (entry.isFile && match(path)) found.push(path);
    }
  };
  walk("");
  return found.sort();
}
