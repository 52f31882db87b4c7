import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { loggingFromEnv, redirectConsoleToStderr, VERSION } from "../mod.ts";
import { PERMISSION_FLAGS } from "../src/runtime/permissions.ts";

const config = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));

Deno.test("VERSION matches deno.json", () => {
  strictEqual(VERSION, config.version);
});

Deno.test("the compile tool and the processor task use exactly the launcher's permission flags", async () => {
  const { compileArguments } = await import("../tools/compile.ts");
  const args = compileArguments("processor.ts", "dist/processor");
  deepStrictEqual(args.slice(1, 1 + PERMISSION_FLAGS.length), [...PERMISSION_FLAGS]);
  ok(config.tasks.compile.includes("tools/compile.ts"));
  for (const task of ["processor"]) {
    const words: string[] = config.tasks[task].split(/\s+/);
    const flags = words.filter((w) =>
      w.startsWith("--allow") || w.startsWith("--deny") || w === "--no-prompt" ||
      w.startsWith("--v8-flags")
    );
    deepStrictEqual(flags, [...PERMISSION_FLAGS], task);
    ok(words.includes("processor.ts"), task);
  }
});

Deno.test("loggingFromEnv() accepts the documented values and rejects others", () => {
  deepStrictEqual(loggingFromEnv({}), { level: "info", format: "text", trace: false });
  deepStrictEqual(loggingFromEnv({ KCLTS_LOG_LEVEL: "WARN", KCLTS_TRACE: "1" }), {
    level: "warning",
    format: "text",
    trace: true,
  });
  throws(() => loggingFromEnv({ KCLTS_LOG_LEVEL: "verbose" }), /KCLTS_LOG_LEVEL/);
  throws(
    () => loggingFromEnv({ KCLTS_LOG_FORMAT: "xml" }),
    /KCLTS_LOG_FORMAT must be "text" or "json": got "xml"/,
  );
  throws(() => loggingFromEnv({ KCLTS_TRACE: "maybe" }), /KCLTS_TRACE/);
});

Deno.test("redirectConsoleToStderr() restores the console", () => {
  // deno-lint-ignore no-console
  const original = console.log;
  const restore = redirectConsoleToStderr();
  // deno-lint-ignore no-console
  ok(console.log !== original);
  restore();
  // deno-lint-ignore no-console
  strictEqual(console.log, original);
});
