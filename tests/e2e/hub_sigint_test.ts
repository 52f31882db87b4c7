import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { lastPerShard, report, uniqueName, until, World } from "./_harness.ts";

Deno.test("e2e [hub]: Ctrl+C in a terminal (SIGINT to the whole process group, relays included) still runs the graceful shutdown: each lease checkpointed at its last record, exit 0", async () => {
  await using world = await World.start();
  const stream = uniqueName("sigint");
  const application = uniqueName("app");
  await world.stream(stream, 2, application);
  const launcher = world.launch({
    stream,
    application,
    workerId: "worker-1",
    mode: "hub",
    // Only the shutdown checkpoint.
    env: { CHECKPOINT_FREQ_SECONDS: "0", RECORDS_PER_CHECKPOINT: "0" },
    detached: true,
  });
  const puts = await world.put(stream, 100, "e2e-sigint");
  await until(() => launcher.seen.length >= 100, 120_000, "100 records processed");
  // Ctrl+C: the kernel sends SIGINT to every process of the foreground group.
  Deno.kill(-launcher.process.pid, "SIGINT");
  const code = await launcher.exited;
  const last = lastPerShard(puts);
  const leases = await world.leases(application);
  report(
    `e2e hub-sigint: put ${puts.length}, seen ${launcher.seen.length}, exit ${code}; leases ${
      leases.map((l) =>
        `${l.leaseKey}=${l.checkpoint === last.get(l.leaseKey) ? "last" : l.checkpoint}`
      )
        .join(" ")
    }`,
  );
  strictEqual(code, 0, launcher.lines.slice(-20).join("\n"));
  deepStrictEqual(
    new Map(leases.map((l) => [l.leaseKey, l.checkpoint])),
    last,
    "the relays outlived the SIGINT: shutdownRequested checkpointed each shard's last record",
  );
});
