/**
 * Where kclts's own files are: the package root (a checkout, or JSR, whose
 * files are fetched by URL) and the cache directory where what cannot run
 * from a URL (the daemon jar, the emulators' npm packages) is built or
 * installed.
 *
 * @module
 */

import { VERSION } from "../version.ts";

/** The package's root (the directory of `deno.json`), as a URL: `file:` in a checkout. */
export const PACKAGE_ROOT: URL = new URL("../../", import.meta.url);

/**
 * The URL of one of the package's files.
 *
 * @param relative A path relative to the package root, e.g. `sylvite/pom.xml`.
 * @param root The package root. @default {PACKAGE_ROOT}
 * @returns Its URL.
 */
export function packageUrl(relative: string, root: URL = PACKAGE_ROOT): URL {
  return new URL(relative, root);
}

/**
 * A `file:` URL as a path; `undefined` for other URLs (JSR, https).
 *
 * @param url The URL.
 * @returns The path without a trailing slash, or `undefined`.
 */
export function localPath(url: URL): string | undefined {
  if (url.protocol !== "file:") return undefined;
  const path = decodeURIComponent(url.pathname);
  return path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
}

/**
 * Reads one of the package's files, from a checkout or over HTTPS (JSR).
 *
 * @param relative A path relative to the package root.
 * @param root The package root. @default {PACKAGE_ROOT}
 * @returns The file's bytes.
 * @throws {Error} If it cannot be read.
 */
export async function readPackageFile(
  relative: string,
  root: URL = PACKAGE_ROOT,
): Promise<Uint8Array> {
  const url = packageUrl(relative, root);
  const path = localPath(url);
  if (path !== undefined) return await Deno.readFile(path);
  const response = await fetch(url);
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(`Cannot fetch ${url.href}: HTTP ${response.status}`);
  }
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * kclts's cache directory for this version: `KCLTS_CACHE_DIR`, else
 * `$XDG_CACHE_HOME/kclts/<version>`, else `~/.cache/kclts/<version>`.
 *
 * @param env The environment.
 * @returns The directory, or `undefined` if neither variable nor a home directory is set.
 */
export function cacheDir(env: Readonly<Record<string, string | undefined>>): string | undefined {
  if (env.KCLTS_CACHE_DIR) return env.KCLTS_CACHE_DIR;
  const base = env.XDG_CACHE_HOME || (env.HOME ? `${env.HOME}/.cache` : undefined);
  return base === undefined ? undefined : `${base}/kclts/${VERSION}`;
}

/**
 * The command that runs kclts's local tools (`demo`, `emulators`, `producer`,
 * `jar`): the checkout's `local.ts`, or the published `./local` export.
 *
 * @param root The package root. @default {PACKAGE_ROOT}
 * @returns The command, e.g. `deno run -A jsr:@kclts/kclts@0.1.0/local`.
 */
export function localToolsCommand(root: URL = PACKAGE_ROOT): string {
  // In a compiled binary the package's files are inside the binary: point at JSR.
  const path = Deno.build.standalone ? undefined : localPath(packageUrl("local.ts", root));
  return `deno run -A ${path ?? `jsr:@kclts/kclts@${VERSION}/local`}`;
}
