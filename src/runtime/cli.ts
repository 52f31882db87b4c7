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

/**
 * The text shown when the program is started by hand with a terminal on
 * stdin, instead of waiting silently for the daemon.
 *
 * @param info The program's name and version.
 * @returns The text.
 */
export function banner(info: ProgramInfo): string {
  return `${versionLine(info)}

This program is a Kinesis shard processor: the child process of the Amazon KCL
MultiLangDaemon, which starts one copy per shard and talks to it in JSON lines
over stdin/stdout. It is not meant to be run by hand.

To consume a stream, let this program start the daemon:
  STREAM_NAME=orders APPLICATION_NAME=orders-app AWS_REGION=eu-west-1 ${info.name} launch

More: ${info.name} --help
`;
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
  if (command === "launch" || command === "properties" || command === "doctor") {
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
