/**
 * Keeps `console` off stdout while the processor runs: stdout carries the
 * protocol, and one stray line there would make the daemon skip or misread
 * messages.
 *
 * @module
 */

const target: Console = console;

const STDOUT_METHODS = [
  "log",
  "info",
  "debug",
  "dir",
  "dirxml",
  "table",
  "group",
  "groupCollapsed",
  "count",
  "timeLog",
  "timeEnd",
] as const;

/**
 * Makes every `console` method that writes to stdout (`log`, `info`, `debug`,
 * `dir`, `table`, `group`, `count`, `timeLog`, ...) write to stderr instead.
 *
 * @returns A function that restores the original methods.
 *
 * @example
 * ```ts
 * import { redirectConsoleToStderr } from "@kclts/kclts";
 *
 * const restore = redirectConsoleToStderr();
 * try {
 *   // deno-lint-ignore no-console
 *   console.log("this line goes to stderr");
 * } finally {
 *   restore();
 * }
 * ```
 */
export function redirectConsoleToStderr(): () => void {
  const saved = new Map<string, unknown>();
  const methods = target as unknown as Record<string, unknown>;
  const error = target.error.bind(target);
  for (const name of STDOUT_METHODS) saved.set(name, methods[name]);
  const counts = new Map<string, number>();
  const timers = new Map<string, number>();
  let indent = "";
  const write = (...args: unknown[]) => {
    if (indent === "") error(...args);
    else {
      const text = args.map((a) => typeof a === "string" ? a : Deno.inspect(a, { colors: false }))
        .join(" ");
      error(text.split("\n").map((line) => indent + line).join("\n"));
    }
  };
  methods.log = write;
  methods.info = write;
  methods.debug = write;
  methods.dirxml = write;
  methods.dir = (value: unknown, options?: Deno.InspectOptions) =>
    write(Deno.inspect(value, { colors: false, ...options }));
  methods.table = (data: unknown) => write(Deno.inspect(data, { colors: false }));
  methods.group = (...label: unknown[]) => {
    if (label.length > 0) write(...label);
    indent += "  ";
  };
  methods.groupCollapsed = methods.group;
  const groupEnd = target.groupEnd;
  saved.set("groupEnd", groupEnd);
  methods.groupEnd = () => {
    indent = indent.slice(2);
  };
  methods.count = (label = "default") => {
    const count = (counts.get(label) ?? 0) + 1;
    counts.set(label, count);
    write(`${label}: ${count}`);
  };
  const countReset = target.countReset;
  saved.set("countReset", countReset);
  methods.countReset = (label = "default") => void counts.set(label, 0);
  const time = target.time;
  saved.set("time", time);
  methods.time = (label = "default") => void timers.set(label, performance.now());
  methods.timeLog = (label = "default", ...data: unknown[]) => {
    const start = timers.get(label);
    if (start === undefined) return write(`Timer "${label}" does not exist`);
    write(`${label}: ${(performance.now() - start).toFixed(3)}ms`, ...data);
  };
  methods.timeEnd = (label = "default") => {
    (methods.timeLog as (label: string) => void)(label);
    timers.delete(label);
  };
  return () => {
    for (const [name, value] of saved) methods[name] = value;
  };
}
