import { strictEqual } from "node:assert/strict";
import {
  assertEachSeenOnce,
  lastPerShard,
  modeOf,
  report,
  uniqueName,
  until,
  variants,
  World,
} from "./_harness.ts";

for (const { retrieval, mode, label } of variants()) {
  Deno.test(`e2e [${label}]: 1,000 records over 4 shards are each processed once, and every lease is checkpointed at its last record`, async () => {
    await using world = await World.start();
    const stream = uniqueName("orders");
    const application = uniqueName("app");
    await world.stream(stream, 4, application);
    const puts = await world.put(stream, 1000, "e2e-1");
    const launcher = world.launch({
      stream,
      application,
      workerId: "worker-1",
      retrieval,
      mode,
      env: { CHECKPOINT_FREQ_SECONDS: "1" },
    });
    await until(() => launcher.seen.length >= 1000, 120_000, "1,000 records processed");
    strictEqual(lastPerShard(puts).size, 4, "the records went to all 4 shards");
    // Time-based checkpoints (every second, empty batches included) reach each shard's last record.
    const leases = await world.checkpointedAtLast(
      application,
      puts,
      60_000,
      "every lease checkpointed at its shard's last record",
    );
    // A moment more: nothing is delivered twice.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const result = assertEachSeenOnce(puts, launcher.seen);
    strictEqual(leases.length, 4);
    let consumer = "";
    if (retrieval === "FANOUT") {
      const registered = await world.consumer(stream, application);
      consumer = `; consumer ${registered.consumerName} ${registered.consumerStatus}`;
    }
    report(
      `e2e 1 [${label}]: put ${puts.length}, seen ${launcher.seen.length}, lost ${result.missing.length}, duplicated ${result.duplicates}${consumer}`,
    );
    strictEqual(modeOf(launcher), mode, `the daemon ran the processor in ${mode} mode`);
    launcher.signal("SIGTERM");
    strictEqual(await launcher.exited, 0);
  });
}
