/**
 * `deno task compile [entry]`: compiles a processor into one binary with the
 * runtime flags every kclts processor runs with (src/runtime/permissions.ts), so the
 * Dockerfile, the launcher's development command and the tests cannot drift.
 *
 * The entry is the first argument, else `$PROCESSOR`, else `processor.ts`;
 * the output is `$OUTPUT`, else `dist/processor`.
 *
 * @module
 */

import { compileArguments } from "../src/runtime/permissions.ts";

export { compileArguments };

if (import.meta.main) {
  const entry = Deno.args[0] ?? Deno.env.get("PROCESSOR") ?? "processor.ts";
  const output = Deno.env.get("OUTPUT") ?? "dist/processor";
  const args = compileArguments(entry, output);
  Deno.stderr.writeSync(new TextEncoder().encode(`deno ${args.join(" ")}\n`));
  const { code } = await new Deno.Command(Deno.execPath(), { args }).spawn().status;
  Deno.exit(code);
}
