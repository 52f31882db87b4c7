/**
 * Where the launcher finds itself, the daemon jar and the properties
 * template, in a compiled binary (the container) and in development.
 *
 * @module
 */

import { type BuildMode, runtimeFlags } from "../runtime/permissions.ts";
import { cacheDir, localPath, localToolsCommand, PACKAGE_ROOT } from "../local/package.ts";

/** The file name of the daemon jar. */
export const JAR_NAME = "sylvite.jar";
/** The template's path relative to the program's directory. */
export const TEMPLATE_PATH = "properties/kcl.properties";

/** Whether this program runs as a `deno compile` binary. */
export function isCompiled(): boolean {
  return Deno.build.standalone;
}

function dirname(path: string): string {
  const at = path.lastIndexOf("/");
  return at <= 0 ? "/" : path.slice(0, at);
}

/** The directory of the program: the binary's, or the main module's. */
export function programDir(): string {
  if (isCompiled()) return dirname(Deno.execPath());
  const main = new URL(Deno.mainModule);
  return main.protocol === "file:" ? dirname(decodeURIComponent(main.pathname)) : Deno.cwd();
}

/**
 * The command that runs this program in child mode, for `executableName`:
 * the binary itself, or `deno run` with the compiled binary's flags.
 *
 * @param mode Whose flags `deno run` gets: a child's, or the hub's (a binary
 * has the flags it was compiled with).
 * @returns The command, words separated by single spaces.
 * @throws {Error} If a path contains a space: the daemon splits the command on spaces.
 */
export function selfCommand(mode: BuildMode = "process"): string {
  let words: string[];
  if (isCompiled()) {
    words = [Deno.execPath()];
  } else {
    const main = new URL(Deno.mainModule);
    if (main.protocol !== "file:") {
      throw new Error(
        `The daemon cannot run ${main.href}: run a local file or a compiled binary, or set KCL_EXECUTABLE_NAME`,
      );
    }
    words = [Deno.execPath(), "run", ...runtimeFlags(mode), decodeURIComponent(main.pathname)];
  }
  const spaced = words.find((word) => /\s/.test(word));
  if (spaced) {
    throw new Error(
      `The daemon splits executableName on spaces, and this path has one: "${spaced}". ` +
        "Move the program to a path without spaces, or set KCL_EXECUTABLE_NAME",
    );
  }
  return words.join(" ");
}

function exists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

function firstExisting(candidates: string[]): string | undefined {
  return candidates.find(exists);
}

/**
 * The daemon jar: `KCLTS_JAR`, else `sylvite.jar` next to the program or in
 * the current directory, else the Maven build of the kclts checkout the
 * program imports, else kclts's cache (`~/.cache/kclts/<version>/sylvite.jar`,
 * where `local jar` and `local demo` build it).
 *
 * @param env The environment.
 * @returns The path, and the places looked at (each once).
 */
export function findJar(env: Record<string, string | undefined>): {
  path: string | undefined;
  searched: string[];
} {
  if (env.KCLTS_JAR) {
    return { path: exists(env.KCLTS_JAR) ? env.KCLTS_JAR : undefined, searched: [env.KCLTS_JAR] };
  }
  const checkout = localPath(PACKAGE_ROOT);
  const cache = cacheDir(env);
  const searched = [
    ...new Set([
      `${programDir()}/${JAR_NAME}`,
      `${Deno.cwd()}/${JAR_NAME}`,
      ...(checkout === undefined ? [] : [`${checkout}/sylvite/target/${JAR_NAME}`]),
      ...(cache === undefined ? [] : [`${cache}/${JAR_NAME}`]),
    ]),
  ];
  return { path: firstExisting(searched), searched };
}

/**
 * What to do when the jar is missing.
 *
 * @param searched The places looked at.
 * @returns One sentence with the command that builds it.
 */
export function jarMissingHelp(searched: readonly string[]): string {
  return `sylvite.jar not found (looked at ${searched.join(", ")}); build it with ` +
    `"${localToolsCommand()} jar" (needs Maven and a JDK 17+) or set KCLTS_JAR`;
}

/**
 * The properties template: `KCLTS_PROPERTIES`, else `properties/kcl.properties`
 * next to the program or in the current directory.
 *
 * @param env The environment.
 * @returns The path, or `undefined` when there is none (the caller reports it as an error).
 * @throws {Error} If `KCLTS_PROPERTIES` names a missing file.
 */
export function findTemplate(env: Record<string, string | undefined>): string | undefined {
  if (env.KCLTS_PROPERTIES) {
    if (!exists(env.KCLTS_PROPERTIES)) {
      throw new Error(`KCLTS_PROPERTIES names a file that does not exist: ${env.KCLTS_PROPERTIES}`);
    }
    return env.KCLTS_PROPERTIES;
  }
  return firstExisting(templateCandidates());
}

/**
 * Where {@linkcode findTemplate} looks without `KCLTS_PROPERTIES` (each place once).
 *
 * @returns The paths.
 */
export function templateCandidates(): string[] {
  return [...new Set([`${programDir()}/${TEMPLATE_PATH}`, `${Deno.cwd()}/${TEMPLATE_PATH}`])];
}

/**
 * The Java executable: `KCLTS_JAVA`, else `$JAVA_HOME/bin/java`, else `java` on the `PATH`.
 *
 * @param env The environment.
 * @returns The command.
 */
export function javaCommand(env: Record<string, string | undefined>): string {
  if (env.KCLTS_JAVA) return env.KCLTS_JAVA;
  if (env.JAVA_HOME && exists(`${env.JAVA_HOME}/bin/java`)) return `${env.JAVA_HOME}/bin/java`;
  return "java";
}

/**
 * A stable worker id: the host name (the pod or container name in a cluster).
 *
 * @returns The host name, or `kclts-worker` if it cannot be read.
 */
export function hostname(): string {
  try {
    return Deno.hostname();
  } catch {
    return "kclts-worker";
  }
}
