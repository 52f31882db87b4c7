import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { modeOf, PROCESS_MODES, report, uniqueName, until, World } from "./_harness.ts";

for (const mode of PROCESS_MODES) {
  Deno.test(`e2e [${mode}]: a kclpy-style processor with recordsPerCheckpoint=10 leaves checkpoints every 10 records in DynamoDB`, async () => {
    await using world = await World.start();
    const stream = uniqueName("count");
    const application = uniqueName("app");
    await world.stream(stream, 1, application);
    const launcher = world.launch({
      stream,
      application,
      workerId: "worker-1",
      mode,
      env: { CHECKPOINT_FREQ_SECONDS: "0", RECORDS_PER_CHECKPOINT: "10" },
    });
    const puts = await world.put(stream, 25, "e2e-6");
    await until(() => launcher.seen.length >= 25, 120_000, "25 records processed");
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const [lease] = await world.leases(application);
    strictEqual(
      lease!.checkpoint,
      puts[19]!.sequenceNumber,
      "the lease is at the 20th record, not the 25th",
    );
    const stored = launcher.logs().filter((r) =>
      r.logger === "kclts.checkpoint" && r.message.startsWith("Checkpoint stored")
    )
      .map((r) => r.properties.at);
    deepStrictEqual(stored, [puts[9]!.sequenceNumber, puts[19]!.sequenceNumber]);
    strictEqual(modeOf(launcher), mode, `the daemon ran the processor in ${mode} mode`);
    launcher.signal("SIGTERM");
    strictEqual(await launcher.exited, 0);
    const [final] = await world.leases(application);
    strictEqual(
      final!.checkpoint,
      puts[24]!.sequenceNumber,
      "the shutdown checkpoint covers the rest",
    );
    report(
      `e2e 6 [${mode}]: put 25, checkpoints at records 10 and 20 while running, 25 after SIGTERM`,
    );
  });
}
