/**
 * `start()`: the entry point of a processor program. Without arguments the
 * program is the child the daemon spawns; with arguments it is a command-line
 * tool (`--help`, `--version`, and the launcher's commands).
 *
 * @module
 */

import { describe } from "../errors.ts";
import { holdLogTape, loadLogTape, logger } from "./log.ts";
import { configureLogTape, loggingFromEnv } from "./logging.ts";
import { redirectConsoleToStderr } from "./console_guard.ts";
import { guardStdout } from "./stdout_guard.ts";
import type { BatchProcessor } from "../api/processor.ts";
import { isFactory, makeProcessor, type ProcessorSource } from "../api/factory.ts";
import { run, type RunOptions } from "../session/session.ts";
import { connectStdio } from "../transport/stdio.ts";
import { VERSION } from "../version.ts";
import { writeAllSync } from "../transport/write_all.ts";
import { settingProblems } from "./settings.ts";
import { ShardStats } from "../session/stats.ts";
import { METRICS_DIR_ENV, StateFileWriter } from "../metrics/state_file.ts";

/** Options of {@linkcode start}: the session's options plus how the program presents itself. */
export interface StartOptions extends Omit<RunOptions, "connection"> {
  /** The program's name in `--help`, `--version` and logs. @default {the executable's or main module's file name} */
  name?: string;
  /** The program's own version, shown by `--version`. */
  version?: string;
  /** The command-line arguments. @default {Deno.args} */
  args?: string[];
}

/** How the running program identifies itself. */
export interface ProgramInfo {
  /** The program name. */
  readonly name: string;
  /** The program's own version, if given. */
  readonly version: string | undefined;
}

/**
 * The program's name: the compiled executable's file name, or the main
 * module's file name without extension.
 *
 * @returns The name.
 */
export function programName(): string {
  const path = Deno.build.standalone ? Deno.execPath() : new URL(Deno.mainModule).pathname;
  const base = path.slice(path.lastIndexOf("/") + 1);
  return Deno.build.standalone ? base : base.replace(/\.[cm]?[jt]sx?$/, "");
}

/**
 * Runs a processor as the child of the KCL MultiLangDaemon, like
 * `kclpy.start`, and exits when the daemon closes stdin.
 *
 * In child mode (no arguments) it:
 * - sends logs to stderr (`KCLTS_LOG_LEVEL`, `KCLTS_LOG_FORMAT`; kept as is if
 *   the application configured LogTape itself), and `KCLTS_TRACE=1` copies
 *   every protocol line to them;
 * - redirects `console.log/info/debug/...`, `Deno.stdout` and Node's
 *   `process.stdout` to stderr: stdout carries only protocol lines (see
 *   {@linkcode guardStdout} for what cannot be redirected);
 * - ignores SIGINT and SIGTERM: the daemon shuts its children down itself
 *   (`shutdownRequested`, `leaseLost`, then stdin closes);
 * - exits 0 when stdin closes, 1 if the daemon sent something invalid or the
 *   processor kept failing (the daemon then stops the whole worker, and
 *   once its supervisor restarts it, resumes from the last checkpoint);
 * - explains itself instead of waiting when stdin is a terminal.
 *
 * With arguments it is a command-line tool: `--help`, `--version`, and
 * `launch`, `properties`, `doctor` to run the daemon, `hub` to serve every
 * shard of a worker in one process (see the README).
 *
 * Give it a factory, `start(() => new Orders())`, to have one processor per
 * shard: hub mode requires one (a shared instance is an error there); in
 * per-process mode the factory is called once.
 *
 * @param processor A {@linkcode BatchProcessor} or a {@linkcode RecordProcessor},
 * or a factory that makes one.
 * @param options Session options and the program's name and version.
 * @returns Never: the process exits.
 *
 * @example The whole program of a processor binary
 * ```ts ignore
 * import { RecordProcessor, start } from "@kclts/kclts";
 *
 * class Printer extends RecordProcessor {
 *   override processRecord(data: Uint8Array, partitionKey: string) {
 *     console.log(partitionKey, new TextDecoder().decode(data)); // goes to stderr
 *   }
 * }
 *
 * await start(new Printer({ checkpointFreqSeconds: 30 }));
 * ```
 */
export async function start(
  processor: ProcessorSource,
  options: StartOptions = {},
): Promise<never> {
  const { name, version, args, ...runOptions } = options;
  const info: ProgramInfo = { name: name ?? programName(), version };
  const argv = args ?? Deno.args;
  // The processor's own settings (envCount): the launcher commands report them among their
  // errors; a child or hub stops here.
  const problems = argv.length === 0 || argv[0] === "hub" ? settingProblems() : [];
  if (problems.length > 0) {
    for (const problem of problems) writeAllSync(Deno.stderr, `${info.name}: ${problem}\n`);
    Deno.exit(2);
  }
  if (argv[0] === "hub") {
    const { hubMain } = await import("../hub/main.ts");
    Deno.exit(await hubMain(argv.slice(1), processor, runOptions, info));
  }
  if (argv.length > 0) {
    const { main } = await import("./cli.ts");
    Deno.exit(await main(argv, info));
  }
  if (Deno.stdin.isTerminal()) {
    const { banner } = await import("./cli.ts");
    writeAllSync(Deno.stderr, banner(info));
    Deno.exit(2);
  }
  let instance: BatchProcessor;
  try {
    instance = isFactory(processor) ? makeProcessor(processor) : processor;
  } catch (error) {
    writeAllSync(Deno.stderr, `${info.name}: ${(error as Error).message}\n`);
    Deno.exit(2);
  }
  Deno.exit(await runChild(instance, runOptions, info));
}

/**
 * Child mode of {@linkcode start}, returning the exit code instead of exiting.
 *
 * @param processor The processor.
 * @param options Session options.
 * @param info The program's name and version, for the logs.
 * @returns The exit code: 0 after a clean end, 1 after a failure, 2 for a bad environment.
 */
export async function runChild(
  processor: BatchProcessor,
  options: Omit<RunOptions, "connection">,
  info: ProgramInfo,
): Promise<number> {
  let logging;
  try {
    logging = loggingFromEnv(Deno.env.toObject());
  } catch (error) {
    writeAllSync(Deno.stderr, `${info.name}: ${(error as Error).message}\n`);
    return 2;
  }
  // LogTape loads once the daemon has its first answer: start-up stays fast.
  holdLogTape();
  const startLogging = () => loadLogTape((module) => void configureLogTape(module, logging));
  const log = logger("process");
  const restoreConsole = redirectConsoleToStderr();
  const stdout = guardStdout();
  let warned = false;
  const ignore = (signal: Deno.Signal) => () => {
    if (warned) return;
    warned = true;
    // Debug only: Ctrl+C on a terminal reaches every shard process, and the
    // launcher already logs the signal it received, once.
    log.debug(
      "Ignoring {signal}: the daemon stops this process itself (shutdownRequested, leaseLost, then end of stdin)",
      { signal },
    );
  };
  const handlers: [Deno.Signal, () => void][] = [
    ["SIGINT", ignore("SIGINT")],
    ["SIGTERM", ignore("SIGTERM")],
  ];
  for (const [signal, handler] of handlers) Deno.addSignalListener(signal, handler);
  const protocol = logger("protocol");
  const trace = logging.trace
    ? (direction: "in" | "out", line: string) =>
      protocol.debug("{arrow} {line}", { arrow: direction === "in" ? "<<" : ">>", line })
    : undefined;
  log.debug("{name} started (kclts {kclts}, pid {pid})", {
    name: info.name,
    kclts: VERSION,
    pid: Deno.pid,
  });
  const connection = connectStdio({ stdout: stdout.protocol, ...(trace ? { trace } : {}) });
  const write = connection.write.bind(connection);
  const metrics = stateFileFromEnv(options);
  connection.write = async (message) => {
    await write(message);
    void startLogging();
    metrics.start();
  };
  try {
    await run(processor, { ...options, connection, ...metrics.options });
    return 0;
  } catch (error) {
    log.fatal("Stopping with exit code 1: {error}", { error: describe(error) });
    return 1;
  } finally {
    metrics.close();
    await startLogging().catch(() => {});
    for (const [signal, handler] of handlers) Deno.removeSignalListener(signal, handler);
    stdout.restore();
    restoreConsole();
  }
}

/**
 * Per-process mode's metrics: with {@linkcode METRICS_DIR_ENV} set (by the
 * launcher, when `KCLTS_HTTP_PORT` is), the session's counters go to a state
 * file; without it, nothing is done.
 */
function stateFileFromEnv(
  options: Omit<RunOptions, "connection">,
): { options: Pick<RunOptions, "stats">; start(): void; close(): void } {
  const dir = Deno.env.get(METRICS_DIR_ENV);
  if (!dir) return { options: {}, start() {}, close() {} };
  const stats = options.stats ??
    new ShardStats(options.statsIntervalSeconds ?? 60, options.now ?? Date.now);
  const writer = new StateFileWriter(dir, stats, {
    onError: (error) =>
      logger("metrics").warn("Cannot write the metrics state file in {dir}: {error}", {
        dir,
        error: describe(error),
      }),
  });
  // Started after the first answer to the daemon, as LogTape is: start-up stays fast.
  return { options: { stats }, start: () => writer.start(), close: () => writer.close() };
}
