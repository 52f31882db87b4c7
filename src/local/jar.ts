/**
 * The daemon jar, `sylvite.jar` (the KCL MultiLangDaemon 3.1.3 as one jar),
 * for local runs: built with Maven from the `sylvite/pom.xml` that ships
 * with kclts. In a checkout it is built in place (`sylvite/target/`); from
 * JSR the pom is fetched and built in kclts's cache directory
 * (`~/.cache/kclts/<version>/sylvite.jar`), where the launcher looks for it.
 *
 * @example
 * ```ts ignore
 * import { ensureSylviteJar } from "./jar.ts";
 * const jar = await ensureSylviteJar(); // builds it if needed, showing Maven's progress on stderr
 * ```
 *
 * @module
 */

import { JAR_NAME } from "../launcher/paths.ts";
import { cacheDir, localPath, PACKAGE_ROOT, packageUrl, readPackageFile } from "./package.ts";
import { commandExists, exists, logToStderr, mtime } from "./run.ts";
import { LineReader } from "../transport/line_reader.ts";
import { writeAllSync } from "../transport/write_all.ts";

/** The files the jar is built from, relative to the package root. */
export const JAR_SOURCES: readonly string[] = [
  "sylvite/pom.xml",
  "sylvite/src/main/resources/logback.xml",
  "sylvite/src/main/java/dev/kclts/sylvite/CredentialsCheck.java",
  "sylvite/src/main/java/dev/kclts/sylvite/DropMessage.java",
];

/** Options of {@linkcode ensureSylviteJar}. */
export interface EnsureJarOptions {
  /** The environment (`KCLTS_JAR`, `KCLTS_CACHE_DIR`, `HOME`). @default {Deno.env} */
  env?: Readonly<Record<string, string | undefined>>;
  /** The kclts package root the pom comes from. @default {this package} */
  root?: URL;
  /** The Maven executable. @default {"mvn"} */
  maven?: string;
}

/**
 * Why the jar cannot be built, and what to do.
 *
 * @param maven The Maven command tried.
 * @param pom Where the pom is.
 * @returns The message.
 */
export function mavenMissingMessage(maven: string, pom: string): string {
  return `Cannot build ${JAR_NAME} (the KCL daemon): "${maven} --version" does not run. ` +
    "The jar is built with Maven and a JDK 17+ from kclts's pom. Install both " +
    "(Debian/Ubuntu: apt-get install maven openjdk-17-jdk-headless; macOS: brew install maven " +
    `openjdk@17), or build it elsewhere with "mvn -B -f ${pom} package" and set KCLTS_JAR to ` +
    "the jar. Behind a Maven mirror, put your settings.xml in ~/.m2/.";
}

/** Download progress read from Maven's batch-mode output. */
export interface MavenProgress {
  /** Files downloaded. */
  files: number;
  /** Their bytes, from the sizes Maven prints. */
  bytes: number;
}

const SIZE_UNITS: Record<string, number> = { B: 1, kB: 1e3, KB: 1e3, MB: 1e6, GB: 1e9 };

/**
 * Counts one line of Maven's output into the download progress
 * ("Downloaded from central: https://... (12 kB at 300 kB/s)").
 *
 * @param progress The progress so far (updated).
 * @param line One line of `mvn -B` output.
 * @returns Whether the line was a finished download.
 *
 * @example
 * ```ts
 * import { countMavenDownload } from "./jar.ts";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * const progress = { files: 0, bytes: 0 };
 * countMavenDownload(progress, "[INFO] Downloaded from central: https://x/y.jar (1.5 MB at 3 MB/s)");
 * deepStrictEqual(progress, { files: 1, bytes: 1_500_000 });
 * ```
 */
export function countMavenDownload(progress: MavenProgress, line: string): boolean {
  const match = line.match(/Downloaded from [^:]+: \S+ \((\d+(?:\.\d+)?) (B|kB|KB|MB|GB)/);
  if (!match) return false;
  progress.files++;
  progress.bytes += Number(match[1]) * SIZE_UNITS[match[2]!]!;
  return true;
}

/**
 * `mvn -B -f <pom> package`, showing the download progress on stderr every
 * 2 s (a first build downloads about 100 MB, and Maven is otherwise either
 * silent or very verbose), and Maven's own output only if the build fails.
 */
async function maven(options: EnsureJarOptions, pom: string, cwd: string): Promise<void> {
  const mvn = options.maven ?? "mvn";
  if (!(await commandExists(mvn))) throw new Error(mavenMissingMessage(mvn, pom));
  const args = ["-B", "-f", pom, "package"];
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(mvn, { args, cwd, stdin: "null", stdout: "piped", stderr: "piped" })
      .spawn();
  } catch (error) {
    throw new Error(`Cannot run "${mvn}": ${String(error)}`, { cause: error });
  }
  const progress: MavenProgress = { files: 0, bytes: 0 };
  const tail: string[] = [];
  const started = Date.now();
  const seconds = () => Math.round((Date.now() - started) / 1000);
  let shown = 0;
  const show = () => {
    if (progress.files === shown) return;
    shown = progress.files;
    logToStderr(
      "kclts",
      `Maven: ${progress.files} file${progress.files === 1 ? "" : "s"} downloaded (${
        (progress.bytes / 1e6).toFixed(1)
      } MB, ${seconds()} s)`,
    );
  };
  const timer = setInterval(show, 2000);
  const read = async (stream: ReadableStream<Uint8Array>) => {
    const reader = new LineReader(stream);
    for (let line = await reader.next(); line !== null; line = await reader.next()) {
      countMavenDownload(progress, line);
      tail.push(line);
      if (tail.length > 60) tail.shift();
    }
  };
  const [status] = await Promise.all([child.status, read(child.stdout), read(child.stderr)]);
  clearInterval(timer);
  show();
  if (!status.success) {
    writeAllSync(Deno.stderr, tail.join("\n") + "\n");
    throw new Error(`Maven failed with exit code ${status.code}: ${mvn} ${args.join(" ")}`);
  }
  logToStderr("kclts", `built with Maven in ${seconds()} s`);
}

/**
 * Returns the path of a runnable `sylvite.jar`, building it if needed:
 *
 * 1. `KCLTS_JAR`, if set (it must exist);
 * 2. in a kclts checkout, `sylvite/target/sylvite.jar`, built with
 *    `mvn -B -f sylvite/pom.xml package` when missing or older than its sources;
 * 3. otherwise (kclts from JSR) `<cache>/sylvite.jar`, built once from the
 *    published pom in `<cache>/sylvite/`.
 *
 * Maven's download progress goes to stderr (its whole output if it fails).
 *
 * @param options Environment, package root, Maven command.
 * @returns The jar's absolute path.
 * @throws {Error} If `KCLTS_JAR` names a missing file, or Maven is missing or fails.
 */
export async function ensureSylviteJar(options: EnsureJarOptions = {}): Promise<string> {
  const env = options.env ?? Deno.env.toObject();
  const root = options.root ?? PACKAGE_ROOT;
  if (env.KCLTS_JAR) {
    if (!(await exists(env.KCLTS_JAR))) {
      throw new Error(`KCLTS_JAR names a file that does not exist: ${env.KCLTS_JAR}`);
    }
    return env.KCLTS_JAR;
  }
  const checkout = localPath(packageUrl("sylvite/", root));
  if (checkout !== undefined && await exists(`${checkout}/pom.xml`)) {
    const jar = `${checkout}/target/${JAR_NAME}`;
    const jarTime = await mtime(jar);
    let stale = jarTime === undefined;
    for (const source of JAR_SOURCES) {
      const sourceTime = await mtime(localPath(packageUrl(source, root))!);
      if (jarTime !== undefined && sourceTime !== undefined && sourceTime > jarTime) stale = true;
    }
    if (stale) {
      logToStderr(
        "kclts",
        `building ${jar} with Maven; the first build downloads the KCL, the AWS SDK and their ` +
          "dependencies (about 100 MB) into ~/.m2, later builds need no network",
      );
      await maven(options, `${checkout}/pom.xml`, checkout);
      if (!(await exists(jar))) throw new Error(`Maven did not produce ${jar}`);
    }
    return jar;
  }
  const cache = cacheDir(env);
  if (cache === undefined) {
    throw new Error(
      "No cache directory for sylvite.jar: set KCLTS_CACHE_DIR (or HOME), or KCLTS_JAR",
    );
  }
  const jar = `${cache}/${JAR_NAME}`;
  if (await exists(jar)) return jar;
  const build = `${cache}/sylvite`;
  for (const source of JAR_SOURCES) {
    const target = `${cache}/${source}`;
    await Deno.mkdir(target.slice(0, target.lastIndexOf("/")), { recursive: true });
    await Deno.writeFile(target, await readPackageFile(source, root));
  }
  logToStderr("kclts", `building ${jar} with Maven (once per kclts version)`);
  await maven(options, `${build}/pom.xml`, build);
  const built = `${build}/target/${JAR_NAME}`;
  if (!(await exists(built))) throw new Error(`Maven did not produce ${built}`);
  await Deno.copyFile(built, `${jar}.tmp`);
  await Deno.rename(`${jar}.tmp`, jar);
  return jar;
}
