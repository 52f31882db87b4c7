/**
 * The command line of a processor program, used when it gets arguments:
 * `--help`, `--version` and the launcher's commands. Loaded only then, so
 * that child mode starts fast.
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { ProgramInfo } from "./start.ts";
import { VERSION } from "../version.ts";
import { writeAllSync } from "../transport/write_all.ts";
import { PERMISSION_FLAGS } from "./permissions.ts";

/**
 * The text shown when the program is started by hand with a terminal on
 * stdin, instead of waiting silently for the daemon.
 *
 * @param info The program's name and version.
 * @returns The text.
 */
export function banner(info: ProgramInfo): string {
  let self: string;
  try {
    self = invocation();
  } catch {
    self = info.name;
  }
  return `${versionLine(info)}

This program is a Kinesis shard processor: the child process of the Amazon KCL
MultiLangDaemon, which starts one copy per shard and talks to it in JSON lines
over stdin/stdout. It is not meant to be run by hand.

To consume a stream, let this program start the daemon:
  STREAM_NAME=orders APPLICATION_NAME=orders-app AWS_REGION=eu-west-1 ${self} launch

More: ${self} --help
`;
}

/** Where a program runs from, for {@linkcode commandFor}. */
export interface Whereabouts {
  /** Whether it is a `deno compile` binary. */
  standalone: boolean;
  /** The binary (or the `deno` executable). */
  execPath: string;
  /** The main module's URL. */
  mainModule: string;
  /** The current directory. */
  cwd: string;
  /** The `PATH` variable. */
  path: string;
  /** The text of `deno.json` in the current directory, if any. */
  denoJson: string | undefined;
}

function relativeTo(cwd: string, file: string): string {
  const base = cwd.endsWith("/") ? cwd : `${cwd}/`;
  return file.startsWith(base) ? `./${file.slice(base.length)}` : file;
}

/**
 * The command that runs a program from where it is: a binary by its name if
 * it is on the `PATH`, else by its path (relative to the current directory
 * when inside it); a module by `deno task <name>` when the current
 * directory's `deno.json` has a task that runs it (`deno task processor`),
 * else by `deno run` with the flags of the compiled binary.
 *
 * @param where Where the program runs from.
 * @returns The command, to which arguments such as `launch` can be appended.
 *
 * @example
 * ```ts
 * import { commandFor } from "./cli.ts";
 * import { strictEqual } from "node:assert/strict";
 *
 * const where = {
 *   standalone: false,
 *   execPath: "/usr/bin/deno",
 *   mainModule: "file:///src/app/processor.ts",
 *   cwd: "/src/app",
 *   path: "/usr/bin",
 *   denoJson: '{ "tasks": { "processor": "deno run --allow-env processor.ts" } }',
 * };
 * strictEqual(commandFor(where), "deno task processor");
 * strictEqual(
 *   commandFor({ ...where, standalone: true, execPath: "/src/app/dist/processor" }),
 *   "./dist/processor",
 * );
 * ```
 */
export function commandFor(where: Whereabouts): string {
  if (where.standalone) {
    const at = where.execPath.lastIndexOf("/");
    const dir = where.execPath.slice(0, at);
    const onPath = where.path.split(":").some((entry) => entry !== "" && entry === dir);
    return onPath ? where.execPath.slice(at + 1) : relativeTo(where.cwd, where.execPath);
  }
  const main = new URL(where.mainModule);
  const module = main.protocol === "file:" ? decodeURIComponent(main.pathname) : main.href;
  if (where.denoJson !== undefined && main.protocol === "file:") {
    let tasks: Record<string, unknown> = {};
    try {
      tasks = JSON.parse(where.denoJson).tasks ?? {};
    } catch {
      // not JSON (deno.json with comments): no task
    }
    for (const [name, task] of Object.entries(tasks)) {
      const command = typeof task === "string" ? task : (task as { command?: unknown })?.command;
      if (typeof command !== "string") continue;
      const words = command.trim().split(/\s+/);
      const last = words.at(-1) ?? "";
      const target = last.startsWith("/") ? last : `${where.cwd}/${last.replace(/^\.\//, "")}`;
      if (words[0] === "deno" && words[1] === "run" && target === module) {
        return `deno task ${name}`;
      }
    }
  }
  return ["deno", "run", ...PERMISSION_FLAGS, relativeTo(where.cwd, module)].join(" ");
}

/**
 * The command that runs this program from the current directory ({@linkcode commandFor}).
 *
 * @returns The command.
 */
export function invocation(): string {
  const cwd = Deno.cwd();
  let denoJson: string | undefined;
  try {
    denoJson = Deno.readTextFileSync(`${cwd}/deno.json`);
  } catch {
    // none
  }
  return commandFor({
    standalone: Deno.build.standalone,
    execPath: Deno.execPath(),
    mainModule: Deno.mainModule,
    cwd,
    path: Deno.env.get("PATH") ?? "",
    denoJson,
  });
}

function versionLine(info: ProgramInfo): string {
  const own = info.version ? ` ${info.version}` : "";
  return `${info.name}${own} (kclts ${VERSION}, deno ${Deno.version.deno})`;
}

/**
 * The `--help` text.
 *
 * @param info The program's name and version.
 * @returns The text.
 */
export function usage(info: ProgramInfo): string {
  const n = info.name;
  return `${versionLine(info)}
A Kinesis shard processor for the Amazon KCL MultiLangDaemon, built with kclts.

Usage:
  ${n}                       child mode: the daemon runs this, one process per shard
  ${n} launch [options]      start the daemon (java -jar sylvite.jar), which runs ${n}
  ${n} properties [options]  print the daemon's effective properties (secrets masked)
  ${n} doctor [options]      check Java, the jar, the configuration and the endpoints
  ${n} provision [options]   create the lease table and KCL's two other tables
  ${n} hub --socket PATH     every shard in this one process, through relays (launch --hub)
  ${n} health [--url=URL]    ask the running worker's /healthz (KCLTS_HTTP_PORT); 0 = healthy
  ${n} --help | --version

Child mode environment:
  KCLTS_LOG_LEVEL    trace, debug, info (default), warning, error, fatal
  KCLTS_LOG_FORMAT   text (default) or json; logs go to stderr, never stdout
  KCLTS_TRACE        1 copies every protocol line, both directions, to the log

Run "${n} launch --help" for the launcher's options and environment variables.
`;
}

/**
 * Runs the command line.
 *
 * @param args The arguments (at least one).
 * @param info The program's name and version.
 * @returns The exit code.
 */
export async function main(args: string[], info: ProgramInfo): Promise<number> {
  const [command, ...rest] = args;
  if (command === "health") {
    const { healthCommand } = await import("../metrics/health_command.ts");
    return await healthCommand(rest, Deno.env.toObject(), {
      out: (text) => writeAllSync(Deno.stdout, text),
      err: (text) => writeAllSync(Deno.stderr, text),
    });
  }
  if (
    command === "launch" || command === "properties" || command === "doctor" ||
    command === "provision"
  ) {
    const { launcherMain } = await import("../launcher/main.ts");
    return await launcherMain(command, rest, info);
  }
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "V" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    return fail(info, (error as Error).message);
  }
  if (values.help) {
    // Not child mode: stdout is free for human output here.
    writeAllSync(Deno.stdout, usage(info));
    return 0;
  }
  if (values.version) {
    writeAllSync(Deno.stdout, versionLine(info) + "\n");
    return 0;
  }
  return fail(info, `Unknown arguments: ${args.join(" ")}`);
}

function fail(info: ProgramInfo, message: string): number {
  writeAllSync(Deno.stderr, `${info.name}: ${message}\nRun "${info.name} --help" for usage.\n`);
  return 2;
}
