import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { report, ROOT, tally, uniqueName, until, World } from "./_harness.ts";

Deno.test("e2e: a processor that writes to stdout without newlines (Deno.stdout, process.stdout, fd 1) still gets every record processed and checkpointed", async () => {
  await using world = await World.start();
  const stream = uniqueName("stray");
  const application = uniqueName("app");
  await world.stream(stream, 1, application);
  const puts = await world.put(stream, 200, "e2e-stray");
  const launcher = world.launch({
    stream,
    application,
    workerId: "worker-1",
    processor: `${ROOT}/tests/fixtures/stray_stdout_processor.ts`,
    env: { CHECKPOINT_FREQ_SECONDS: "1", STRAY_FD1: "1" },
  });
  await until(() => launcher.seen.length >= 200, 120_000, "200 records processed");
  const last = puts.at(-1)!.sequenceNumber;
  await until(
    async () => (await world.leases(application))[0]?.checkpoint === last,
    60_000,
    "the lease checkpointed at the last record",
  );
  const result = tally(puts, launcher.seen);
  deepStrictEqual(
    { missing: result.missing.length, duplicates: result.duplicates },
    { missing: 0, duplicates: 0 },
  );
  // What the daemon skipped is exactly the fd-1 writes, each on a line of its
  // own (GetNextMessageTask: "Skipping unexpected line on STDOUT ... : y").
  const skipped = launcher.lines.filter((line) => line.includes("Skipping unexpected line"));
  ok(skipped.length > 0, "the fd-1 writes reached the daemon");
  for (const line of skipped) ok(/: y$/.test(line), line);
  // The diverted writes reached the daemon as lines of the child's stderr
  // (DrainChildSTDERRTask echoes each one).
  ok(launcher.lines.some((line) => line === "x"), "the diverted writes went to stderr");
  launcher.signal("SIGTERM");
  strictEqual(await launcher.exited, 0);
  report(
    `e2e stray stdout: put ${puts.length}, seen ${launcher.seen.length}, lost ${result.missing.length}, duplicated ${result.duplicates}, daemon skipped ${skipped.length} fd-1 lines`,
  );
});
