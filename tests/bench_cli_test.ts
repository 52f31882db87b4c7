/**
 * `bench/run.ts`'s command line, without running a benchmark: `--scenario`'s values and the
 * message for a bad one.
 *
 * @module
 */

import { deepStrictEqual, ok, strictEqual, throws } from "node:assert/strict";
import { SCENARIO_ALIASES, scenarioNames } from "../bench/run.ts";
import { ROOT, run } from "./_util.ts";

Deno.test("--scenario: every accepted value resolves; a bad one's message lists them all, hub included", async () => {
  deepStrictEqual(scenarioNames("all"), ["small", "large"]);
  deepStrictEqual(scenarioNames("ii"), ["large"]);
  deepStrictEqual(scenarioNames("hub"), []);
  for (const value of Object.keys(SCENARIO_ALIASES)) scenarioNames(value);
  let message = "";
  throws(() => scenarioNames("toString"), (error: Error) => {
    message = error.message;
    return error instanceof RangeError;
  });
  ok(message.startsWith('Invalid --scenario "toString": expected one of '), message);
  const listed = message.slice(message.indexOf("expected one of ") + 16).split(", ");
  deepStrictEqual(listed.sort(), Object.keys(SCENARIO_ALIASES).sort());
  ok(listed.includes("hub"), message);
  // The command line reports it on stderr (exit 2) before measuring anything.
  const result = await run(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}/bench/run.ts`, "--scenario", "bogus"],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
  });
  strictEqual(result.code, 2, result.stderr);
  strictEqual(result.stdout, "");
  ok(result.stderr.includes(message.replace('"toString"', '"bogus"')), result.stderr);
});
