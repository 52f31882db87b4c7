import { ok, strictEqual } from "node:assert/strict";
import { Feed, modeOf, report, tally, uniqueName, until, variants, World } from "./_harness.ts";

for (const { retrieval, mode, label } of variants()) {
  Deno.test(`e2e [${label}]: two launchers share the shards; after one is killed with SIGKILL the other takes over and every record is processed`, async () => {
    await using world = await World.start();
    const stream = uniqueName("workers");
    const application = uniqueName("app");
    await world.stream(stream, 4, application);
    const env = { CHECKPOINT_FREQ_SECONDS: "1" };
    // Worker b joins once worker a owns every lease, as when the second daemon starts late. KCL
    // 3.x's leader hands unowned leases to the workers that have reported their metrics so far,
    // and then moves leases to a newcomer only by throughput: on an idle stream every worker's
    // utilization ratio is 0/0 (NaN) and nothing is rebalanced, ever (LeaseAssignmentManager
    // .InMemoryStorageView, VarianceBasedLeaseAssignmentDecider, with disableWorkerMetrics). So
    // records flow while the test waits for b to get its share.
    const a = world.launch({ stream, application, workerId: "worker-a", env, retrieval, mode });
    await until(
      async () => (await world.leases(application)).every((l) => l.leaseOwner === "worker-a"),
      60_000,
      "worker a owns every lease",
    );
    const feed = new Feed(world, stream, "e2e-5");
    feed.flow(20, 250);
    const b = world.launch({ stream, application, workerId: "worker-b", env, retrieval, mode });
    const owners = await until(
      async () => {
        // A lease being handed over names b as its owner before b has it (checkpointOwner a).
        if (b.seen.length === 0) return false;
        const leases = await world.leases(application);
        const owners = new Set(leases.map((l) => l.leaseOwner));
        return owners.has("worker-a") && owners.has("worker-b") && leases;
      },
      120_000,
      "both workers own leases and b processed records (worker a's leases given to b as records flow)",
    ).finally(() => feed.stop());
    await feed.put(400);
    const first = feed.puts;
    await until(
      () => tally(first, [...a.seen, ...b.seen]).missing.length === 0,
      120_000,
      "the first records processed",
    );
    const split = `a ${a.seen.length} / b ${b.seen.length}`;
    ok(a.seen.length > 0 && b.seen.length > 0, `both processed records: ${split}`);

    // Let the time-based checkpoints land, so that the takeover starts from them.
    await world.checkpointedAtLast(
      application,
      first,
      30_000,
      "the first records checkpointed",
    );
    strictEqual(modeOf(a), mode, `the daemon ran the processor in ${mode} mode`);
    const java = await a.javaPid();
    Deno.kill(java, "SIGKILL");
    const code = await a.exited;
    strictEqual(code, 137, "the launcher reports the daemon's death by SIGKILL");
    const second = await world.put(stream, 400, "e2e-5b", first.length);
    await until(
      () => tally(second, b.seen).missing.length === 0,
      180_000,
      "worker b processed every new record",
    );
    const leases = await until(
      async () => {
        const leases = await world.leases(application);
        return leases.every((l) => l.leaseOwner === "worker-b") && leases;
      },
      60_000,
      "worker b owns every lease",
    );
    let shared = "";
    if (retrieval === "FANOUT") {
      // Both daemons registered (or found) the consumer by the application's name: one consumer.
      const consumer = await world.consumer(stream, application);
      shared = `; one consumer for both workers (${consumer.consumerStatus})`;
    }
    const all = tally([...first, ...second], [...a.seen, ...b.seen]);
    report(
      `e2e 5 [${label}]: leases first owned ${
        owners.map((l) => l.leaseOwner).join(",")
      }; put ${first.length}+${second.length}, seen ${split} before the kill, b ${b.seen.length} in all; lost ${all.missing.length}, duplicated ${all.duplicates}${shared}; owners after ${
        leases.map((l) => l.leaseOwner).join(",")
      }`,
    );
    strictEqual(all.missing.length, 0);
    strictEqual(all.duplicates, 0, "the takeover resumed from worker a's checkpoints");
    b.signal("SIGTERM");
    strictEqual(await b.exited, 0);
  });
}
