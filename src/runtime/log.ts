/**
 * Loggers that load LogTape lazily. A processor is started once per shard,
 * so start-up time counts: LogTape (through its Node-compatible `#util`
 * import) costs about 25 ms and 8 MiB when loaded. These loggers queue their
 * records until LogTape is loaded, then hand them to it; `start()` loads it
 * right after answering `initialize`. Everything else is plain LogTape: the
 * categories, the message templates, the application's own configuration.
 *
 * @module
 */

import type * as LogTape from "@logtape/logtape";

/** The root category of every kclts log record. */
export const LOG_CATEGORY = "kclts";

/** A logging method: a LogTape message template and its properties. */
export type LogMethod = (message: string, properties?: Record<string, unknown>) => void;

/**
 * The logging half of a LogTape `Logger`, available before LogTape is
 * loaded. Messages are LogTape templates: `{name}` is replaced by the
 * property `name`. Never pass text from outside as the template itself.
 */
export interface Log {
  /** The category, e.g. `["kclts", "session"]`. */
  readonly category: readonly string[];
  /** Logs at `trace` level. */
  trace: LogMethod;
  /** Logs at `debug` level. */
  debug: LogMethod;
  /** Logs at `info` level. */
  info: LogMethod;
  /** Logs at `warning` level. */
  warn: LogMethod;
  /** Logs at `warning` level. */
  warning: LogMethod;
  /** Logs at `error` level. */
  error: LogMethod;
  /** Logs at `fatal` level. */
  fatal: LogMethod;
  /**
   * A logger that adds these properties to every record.
   *
   * @param properties The properties.
   * @returns The new logger.
   */
  with(properties: Record<string, unknown>): Log;
}

type Level = "trace" | "debug" | "info" | "warning" | "error" | "fatal";

interface Pending {
  log: LazyLog;
  level: Level;
  message: string;
  properties: Record<string, unknown> | undefined;
}

const MAX_PENDING = 10_000;
let logtape: typeof LogTape | null = null;
let loading: Promise<typeof LogTape> | null = null;
let held = false;
let pending: Pending[] = [];
let dropped = 0;

class LazyLog implements Log {
  readonly category: readonly string[];
  readonly #context: Record<string, unknown> | undefined;
  #real: LogTape.Logger | undefined;

  constructor(category: readonly string[], context?: Record<string, unknown>) {
    this.category = category;
    this.#context = context;
  }

  with(properties: Record<string, unknown>): Log {
    return new LazyLog(this.category, { ...this.#context, ...properties });
  }

  trace: LogMethod = (message, properties) => this.emit("trace", message, properties);
  debug: LogMethod = (message, properties) => this.emit("debug", message, properties);
  info: LogMethod = (message, properties) => this.emit("info", message, properties);
  warn: LogMethod = (message, properties) => this.emit("warning", message, properties);
  warning: LogMethod = (message, properties) => this.emit("warning", message, properties);
  error: LogMethod = (message, properties) => this.emit("error", message, properties);
  fatal: LogMethod = (message, properties) => this.emit("fatal", message, properties);

  emit(level: Level, message: string, properties: Record<string, unknown> | undefined): void {
    if (logtape) {
      this.#logger(logtape)[level](message, properties ?? {});
      return;
    }
    if (pending.length < MAX_PENDING) pending.push({ log: this, level, message, properties });
    else dropped++;
    if (!held) void loadLogTape();
  }

  #logger(module: typeof LogTape): LogTape.Logger {
    if (!this.#real) {
      const base = module.getLogger([...this.category]);
      this.#real = this.#context ? base.with(this.#context) : base;
    }
    return this.#real;
  }
}

/**
 * A logger for a category, backed by LogTape once it is loaded. Use it like
 * LogTape's `getLogger()`; the records go wherever the application (or
 * `start()`, to stderr) configured LogTape to send them.
 *
 * @param category The category, e.g. `["my-app", "orders"]`.
 * @returns The logger.
 *
 * @example
 * ```ts
 * import { getLogger } from "@kclts/kclts";
 *
 * const log = getLogger(["my-app"]);
 * log.info("Processed {count} orders", { count: 3 });
 * ```
 */
export function getLogger(category: string | readonly string[]): Log {
  return new LazyLog(typeof category === "string" ? [category] : category);
}

/**
 * The logger of one part of kclts, under the `["kclts", part]` category.
 *
 * @param part The part, e.g. `"session"`.
 * @returns The logger.
 */
export function logger(part: string): Log {
  return new LazyLog([LOG_CATEGORY, part]);
}

/**
 * Keeps LogTape unloaded (records queue up) until {@linkcode loadLogTape}.
 * `start()` uses it so that answering `initialize` is not delayed.
 */
export function holdLogTape(): void {
  held = true;
}

/**
 * Loads LogTape, lets `setup` configure it, then hands it the queued records.
 *
 * @param setup Called with the LogTape module before the queue is flushed.
 * @returns The LogTape module.
 */
export function loadLogTape(
  setup?: (module: typeof LogTape) => void,
): Promise<typeof LogTape> {
  held = false;
  loading ??= import("@logtape/logtape").then((module) => {
    setup?.(module);
    logtape = module;
    const queued = pending;
    pending = [];
    for (const { log, level, message, properties } of queued) log.emit(level, message, properties);
    if (dropped > 0) {
      module.getLogger([LOG_CATEGORY, "log"]).warn(
        "{dropped} log records were dropped before logging started",
        { dropped },
      );
      dropped = 0;
    }
    return module;
  });
  return loading;
}
