/**
 * A stand-in for jsr.io: the files `deno publish` would upload, and only those, served over HTTP
 * on 127.0.0.1, so that tests read kclts's package files the way a project using kclts from JSR
 * does (by URL, relative to the module).
 *
 * @module
 */

import { ok } from "node:assert/strict";
import { ROOT, run } from "./_util.ts";

/**
 * The files `deno publish --dry-run` lists, relative to the repository's root.
 *
 * @returns The paths.
 */
export async function publishedFiles(): Promise<Set<string>> {
  const { code, stdout, stderr } = await run(Deno.execPath(), {
    args: ["publish", "--dry-run", "--allow-dirty"],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
  });
  const text = stdout + stderr;
  ok(code === 0, text);
  const prefix = `file://${ROOT}/`;
  return new Set(
    [...text.matchAll(/^\s+(file:\/\/\S+)/gm)].map((m) =>
      decodeURIComponent(m[1]!.slice(prefix.length))
    ),
  );
}

/**
 * Serves the published files until disposed.
 *
 * @returns The package root's URL, the files, and the server.
 */
export async function servePublished(): Promise<
  { root: URL; files: Set<string> } & AsyncDisposable
> {
  const files = await publishedFiles();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const path = decodeURIComponent(new URL(request.url).pathname.slice(1));
    if (!files.has(path)) return new Response("not published", { status: 404 });
    return new Response(await Deno.readFile(`${ROOT}/${path}`));
  });
  return {
    root: new URL(`http://127.0.0.1:${server.addr.port}/`),
    files,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}
