import { ok, strictEqual } from "node:assert/strict";
import { report, uniqueName, until, World } from "./_harness.ts";

Deno.test("e2e: a bad configuration is a clear error, a non-zero exit, and nothing started", async (t) => {
  await using world = await World.start();
  const stream = uniqueName("bad");
  const application = uniqueName("app");
  await world.stream(stream, 1, application);
  const cases: [string, Record<string, string>, string[], RegExp][] = [
    ["missing stream", { STREAM_NAME: "" }, [], /The stream is required: set STREAM_NAME/],
    [
      "unknown key",
      {},
      ["--maxRecrods=10"],
      /unknown property "maxRecrods" \(did you mean "maxRecords"\?\)/,
    ],
    [
      "unknown KCL_ variable",
      { KCL_FAILOVER_TIME_MILIS: "5" },
      [],
      /did you mean KCL_FAILOVER_TIME_MILLIS\?/,
    ],
    [
      "a newline in a value",
      { APPLICATION_NAME: `${application}\nexecutableName=/bin/sh` },
      [],
      /contains a newline or control character/,
    ],
  ];
  for (const [name, env, args, pattern] of cases) {
    await t.step(name, async () => {
      const started = Date.now();
      const launcher = world.launch({ stream, application, workerId: "w", env, args });
      const code = await launcher.exited;
      const text = launcher.lines.join("\n");
      strictEqual(code, 2, text);
      ok(pattern.test(text), text);
      ok(text.includes("nothing was started"), text);
      ok(!text.includes("starting the KCL daemon"), text);
      report(`e2e 7 (${name}): exit ${code} in ${Date.now() - started} ms`);
    });
  }
  await t.step(
    "a wait fails at once when a launcher exits, and shows its exit and output",
    async () => {
      const launcher = world.launch({
        stream,
        application,
        workerId: "w-exits",
        env: { STREAM_NAME: "" },
      });
      const early = await until(() => false, 120_000, "something that never happens").then(
        () => new Error("the wait succeeded"),
        (error: Error) => error,
      );
      ok(early.message.startsWith("w-exits exited while waiting ("), early.message);
      ok(early.message.includes(": something that never happens\n"), early.message);
      ok(
        /--- w-exits \(launcher pid [0-9]+\): exited with code 2;/.test(early.message),
        early.message,
      );
      ok(/The stream is required: set STREAM_NAME/.test(early.message), early.message);
      strictEqual(await launcher.exited, 2);
      // A launcher that had exited before the wait started: the wait times out, and says so.
      const late = await until(() => false, 300, "a short wait").then(
        () => new Error("the wait succeeded"),
        (error: Error) => error,
      );
      ok(late.message.startsWith("Timed out after 300 ms: a short wait\n"), late.message);
      ok(late.message.includes("--- w-exits (launcher pid"), late.message);
      ok(late.message.includes("exited with code 2"), late.message);
    },
  );
  const leases = await world.leases(application);
  ok(leases.every((l) => l.leaseOwner === undefined), "no worker ever took a lease");
});
