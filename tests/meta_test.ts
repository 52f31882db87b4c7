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

Deno.test("LICENSE holds the Apache-2.0 text that deno.json declares and publishes", async () => {
  strictEqual(config.license, "Apache-2.0");
  ok(config.publish.include.includes("LICENSE"));
  const text = await Deno.readTextFile(new URL("../LICENSE", import.meta.url));
  ok(/^\s*Apache License\n\s*Version 2\.0, January 2004\n/.test(text), text.slice(0, 200));
  for (
    const section of [
      "1. Definitions.",
      "2. Grant of Copyright License.",
      "3. Grant of Patent License.",
      "4. Redistribution.",
      "9. Accepting Warranty or Additional Liability.",
      "END OF TERMS AND CONDITIONS",
    ]
  ) ok(text.includes(section), section);
});

Deno.test("README: no inline code span is split by a blank line (it would render `<...>` as a tag)", async () => {
  const text = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  const prose = text.replace(/^```[^\n]*\n[\s\S]*?^```$/gm, "");
  const broken = prose.split(/\n\s*\n/).filter((block) =>
    (block.match(/`/g)?.length ?? 0) % 2 !== 0
  );
  deepStrictEqual(broken, []);
});
