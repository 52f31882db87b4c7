/**
 * The process-wide logging setup of a processor binary: LogTape records go to
 * stderr (never stdout, which belongs to the protocol), as text or JSON lines.
 *
 * @module
 */

import type * as LogTape from "@logtape/logtape";
import { loadLogTape, LOG_CATEGORY } from "./log.ts";
import { writeAllSync } from "../transport/write_all.ts";

/** A LogTape log level. */
export type LogLevel = "trace" | "debug" | "info" | "warning" | "error" | "fatal";

/** The logging settings, usually read from the environment by {@linkcode loggingFromEnv}. */
export interface LoggingOptions {
  /** The lowest level logged. @default {"info"} */
  level?: LogLevel;
  /** `"text"` (human-readable lines) or `"json"` (one JSON object per line). @default {"text"} */
  format?: "text" | "json";
  /** Copy every protocol line, both directions, to the log. @default {false} */
  trace?: boolean;
}

const LEVELS: Record<string, LogLevel> = {
  trace: "trace",
  debug: "debug",
  info: "info",
  warn: "warning",
  warning: "warning",
  error: "error",
  fatal: "fatal",
};

/**
 * Reads `KCLTS_LOG_LEVEL` (trace, debug, info, warning, error, fatal),
 * `KCLTS_LOG_FORMAT` (text, json) and `KCLTS_TRACE` (1/true to copy protocol
 * lines).
 *
 * @param env The environment.
 * @returns The settings.
 * @throws {RangeError} If a variable has a value it does not accept.
 *
 * @example
 * ```ts
 * import { loggingFromEnv } from "@kclts/kclts";
 * import { deepStrictEqual } from "node:assert/strict";
 *
 * deepStrictEqual(
 *   loggingFromEnv({ KCLTS_LOG_LEVEL: "debug", KCLTS_LOG_FORMAT: "json" }),
 *   { level: "debug", format: "json", trace: false },
 * );
 * ```
 */
export function loggingFromEnv(env: Record<string, string | undefined>): Required<LoggingOptions> {
  return { level: logLevelFromEnv(env), format: logFormatFromEnv(env), trace: traceFromEnv(env) };
}

/**
 * Checks `KCLTS_LOG_LEVEL`, `KCLTS_LOG_FORMAT` and `KCLTS_TRACE` as
 * {@linkcode loggingFromEnv} reads them, reporting every problem, not only the
 * first: the launcher checks its children's settings before it starts anything.
 *
 * @param env The environment.
 * @returns One message per variable with a value it does not accept.
 *
 * @example
 * ```ts
 * import { loggingProblems } from "./logging.ts";
 * import { strictEqual } from "node:assert/strict";
 *
 * strictEqual(loggingProblems({ KCLTS_LOG_LEVEL: "loud", KCLTS_TRACE: "1" }).length, 1);
 * ```
 */
export function loggingProblems(env: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  for (const parse of [logLevelFromEnv, logFormatFromEnv, traceFromEnv]) {
    try {
      parse(env);
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  return problems;
}

function logLevelFromEnv(env: Record<string, string | undefined>): LogLevel {
  const rawLevel = env.KCLTS_LOG_LEVEL?.trim().toLowerCase() || "info";
  const level = LEVELS[rawLevel];
  if (!level) {
    throw new RangeError(
      `KCLTS_LOG_LEVEL must be one of trace, debug, info, warning, error, fatal: got "${env.KCLTS_LOG_LEVEL}"`,
    );
  }
  return level;
}

function logFormatFromEnv(env: Record<string, string | undefined>): "text" | "json" {
  const format = env.KCLTS_LOG_FORMAT?.trim().toLowerCase() || "text";
  if (format !== "text" && format !== "json") {
    throw new RangeError(
      `KCLTS_LOG_FORMAT must be "text" or "json": got "${env.KCLTS_LOG_FORMAT}"`,
    );
  }
  return format;
}

function traceFromEnv(env: Record<string, string | undefined>): boolean {
  const rawTrace = env.KCLTS_TRACE?.trim().toLowerCase() ?? "";
  if (!["", "0", "1", "true", "false", "yes", "no"].includes(rawTrace)) {
    throw new RangeError(`KCLTS_TRACE must be 1 or 0: got "${env.KCLTS_TRACE}"`);
  }
  return ["1", "true", "yes"].includes(rawTrace);
}

/**
 * Sends LogTape records to stderr, unless the application configured LogTape
 * itself (then its configuration is kept). Every category is logged at
 * `level` and above; the `["kclts", "protocol"]` category gets the trace
 * lines when `trace` is on. Records are written synchronously, so none is
 * lost when the process exits right after.
 *
 * @param options Level, format and tracing.
 * @returns `true` if this call configured LogTape, `false` if it was already configured.
 *
 * @example
 * ```ts ignore
 * import { configureStderrLogging, getLogger } from "@kclts/kclts";
 *
 * await configureStderrLogging({ level: "debug", format: "json" });
 * getLogger(["my-app"]).debug("Goes to stderr as one JSON line");
 * ```
 */
export async function configureStderrLogging(options: LoggingOptions = {}): Promise<boolean> {
  let configured = false;
  await loadLogTape((module) => configured = configureLogTape(module, options));
  return configured;
}

/**
 * Configures a loaded LogTape module as {@linkcode configureStderrLogging} describes.
 *
 * @param module The LogTape module.
 * @param options Level, format and tracing.
 * @returns `true` if configured, `false` if the application had configured it.
 */
export function configureLogTape(module: typeof LogTape, options: LoggingOptions): boolean {
  if (module.getConfig() !== null) return false;
  const level = options.level ?? "info";
  const formatter = options.format === "json"
    ? module.getJsonLinesFormatter()
    : module.getTextFormatter({ value: "bare" });
  const stderr = (record: LogTape.LogRecord) => {
    try {
      writeAllSync(Deno.stderr, formatter(record));
    } catch {
      // stderr is gone: nowhere left to report it
    }
  };
  module.configureSync({
    sinks: { stderr },
    loggers: [
      { category: [], sinks: ["stderr"], lowestLevel: level },
      {
        category: ["logtape", "meta"],
        sinks: ["stderr"],
        lowestLevel: "warning",
        parentSinks: "override",
      },
      ...(options.trace
        ? [{
          category: [LOG_CATEGORY, "protocol"],
          sinks: ["stderr" as const],
          parentSinks: "override" as const,
          lowestLevel: "debug" as const,
        }]
        : []),
    ],
  });
  return true;
}
