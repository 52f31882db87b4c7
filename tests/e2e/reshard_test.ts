import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { listShards, splitShard } from "../../src/local/emulators.ts";
import {
  Feed,
  lastPerShard,
  modeOf,
  report,
  tally,
  uniqueName,
  until,
  variants,
  World,
} from "./_harness.ts";

// FANOUT cannot pass against kinesis-mock (0.6.2, the newest): its SubscribeToShard events always
// carry a ContinuationSequenceNumber and never ChildShards, also for a closed shard, and the daemon
// ends a shard under fan-out only on an event whose ContinuationSequenceNumber is null
// (FanOutRecordsPublisher, KCL 3.1.3). The parent then receives empty events for ever, never reaches
// SHARD_END, and its children get no lease: the records put into them are never read (run with
// KCLTS_E2E_RESHARD_FANOUT=1 to see it). Ignored, not dropped, so that it shows in every run.
const fanoutReshard = Deno.env.get("KCLTS_E2E_RESHARD_FANOUT") === "1";

for (const { retrieval, mode, label } of variants()) {
  Deno.test({
    name:
      `e2e [${label}]: a shard split while records flow: the parent reaches SHARD_END, its children are processed, nothing is lost`,
    ignore: retrieval === "FANOUT" && !fanoutReshard,
  }, async () => {
    await using world = await World.start();
    const stream = uniqueName("reshard");
    const application = uniqueName("app");
    const shards = await world.stream(stream, 2, application);
    const launcher = world.launch({
      stream,
      application,
      workerId: "worker-1",
      retrieval,
      mode,
      env: { CHECKPOINT_FREQ_SECONDS: "1" },
    });
    const feed = new Feed(world, stream, "e2e-2");
    const puts = feed.puts;
    await feed.put(100);
    await until(() => launcher.seen.length >= 100, 120_000, "the first 100 records processed");
    // Keep records flowing around the split.
    feed.flow(10, 100);
    const parent = shards[0]!.shardId;
    await new Promise((resolve) => setTimeout(resolve, 500));
    const children = await splitShard(world.emulators.kinesisEndpoint, stream, parent);
    strictEqual(children.length, 2);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await feed.stop();
    await feed.put(50);
    const childIds = children.map((c) => c.shardId);
    ok(puts.some((p) => childIds.includes(p.shardId)), "some records went to the children");
    await until(
      () => tally(puts, launcher.seen).missing.length === 0,
      120_000,
      "every record processed",
    ).catch((error) => {
      const { missing, duplicates } = tally(puts, launcher.seen);
      const where = [...new Set(missing.map((p) => p.shardId))].join(", ");
      throw new Error(
        `${error.message}: put ${puts.length}, seen ${launcher.seen.length}, lost ${missing.length} (from ${where}), duplicated ${duplicates}`,
        { cause: error },
      );
    });
    const last = lastPerShard(puts);
    const leases = await until(
      async () => {
        const leases = await world.leases(application);
        const byKey = new Map(leases.map((l) => [l.leaseKey, l]));
        const parentDone = byKey.get(parent)?.checkpoint === "SHARD_END";
        const childrenDone = childIds.every((id) => byKey.get(id)?.checkpoint === last.get(id));
        return parentDone && childrenDone && leases;
      },
      90_000,
      "the parent lease at SHARD_END and the children checkpointed at their last records",
    );
    const result = tally(puts, launcher.seen);
    report(
      `e2e 2 [${label}]: put ${puts.length} (${
        puts.filter((p) => childIds.includes(p.shardId)).length
      } into the children), seen ${launcher.seen.length}, lost ${result.missing.length}, duplicated ${result.duplicates}; leases ${
        leases.map((l) =>
          `${l.leaseKey}=${(l.checkpoint ?? "").length > 20 ? "seq" : l.checkpoint}`
        )
          .join(
            " ",
          )
      }`,
    );
    deepStrictEqual([result.missing.length, result.wrongContent, result.unexpected], [0, 0, 0]);
    const parentLogs = launcher.logs().filter((r) =>
      r.logger === "kclts.session" && r.properties.shardId === parent
    );
    ok(
      parentLogs.some((r) => r.message.includes("Shard ended")),
      "the parent's child got shardEnded",
    );
    const all = await listShards(world.emulators.kinesisEndpoint, stream);
    strictEqual(all.length, 4);
    strictEqual(modeOf(launcher), mode, `the daemon ran the processor in ${mode} mode`);
    launcher.signal("SIGTERM");
    strictEqual(await launcher.exited, 0);
  });
}
