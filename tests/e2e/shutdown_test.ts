import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import {
  lastPerShard,
  modeOf,
  report,
  tally,
  uniqueName,
  until,
  variants,
  World,
} from "./_harness.ts";

for (const { retrieval, mode, label } of variants()) {
  Deno.test(`e2e [${label}]: SIGTERM to the launcher checkpoints the last records through shutdownRequested and exits 0; a restart reprocesses nothing`, async () => {
    await using world = await World.start();
    const stream = uniqueName("shutdown");
    const application = uniqueName("app");
    await world.stream(stream, 2, application);
    // Only the shutdown checkpoint: no time or count rule.
    const env = { CHECKPOINT_FREQ_SECONDS: "0", RECORDS_PER_CHECKPOINT: "0" };
    const first = world.launch({ stream, application, workerId: "worker-1", env, retrieval, mode });
    const puts = await world.put(stream, 300, "e2e-3");
    await until(() => first.seen.length >= 300, 120_000, "300 records processed");
    const before = await world.leases(application);
    ok(before.every((l) => l.checkpoint === "TRIM_HORIZON"), "no checkpoint before the shutdown");

    strictEqual(modeOf(first), mode, `the daemon ran the processor in ${mode} mode`);
    const started = Date.now();
    first.signal("SIGTERM");
    const code = await first.exited;
    const seconds = (Date.now() - started) / 1000;
    strictEqual(code, 0);
    ok(seconds < 20, `exited in ${seconds} s, within KCLTS_STOP_TIMEOUT_SECONDS (20)`);
    deepStrictEqual(
      await world.checkpoints(application),
      lastPerShard(puts),
      "each lease checkpointed at its last record during shutdownRequested",
    );
    ok(
      first.logs().some((r) => r.logger === "kclts.session" && r.message === "Shutdown requested"),
      "the children got shutdownRequested",
    );

    // FANOUT: the consumer the first run registered, to compare with the restart's.
    const consumer = retrieval === "FANOUT" ? await world.consumer(stream, application) : undefined;

    const second = world.launch({
      stream,
      application,
      workerId: "worker-1",
      env,
      retrieval,
      mode,
    });
    const more = await world.put(stream, 100, "e2e-3b", 300);
    await until(
      () => second.seen.length >= 100,
      120_000,
      "100 new records processed after the restart",
    );
    await new Promise((resolve) => setTimeout(resolve, 2000));
    let reuse = "";
    if (consumer) {
      // The restart found the consumer by name (DescribeStreamConsumer in
      // FanOutConsumerRegistration) instead of registering a second one.
      const after = await world.consumer(stream, application);
      strictEqual(
        after.consumerArn,
        consumer.consumerArn,
        "the restart reused the stream consumer",
      );
      reuse = `; consumer reused (1 consumer, same ARN ${after.consumerArn})`;
    }
    const reprocessed = tally(puts, second.seen);
    const fresh = tally(more, second.seen);
    report(
      `e2e 3 [${label}]: put ${puts.length}+${more.length}, first run seen ${first.seen.length}, shutdown ${
        seconds.toFixed(1)
      } s (exit ${code}), restart seen ${second.seen.length}: reprocessed ${
        puts.length - reprocessed.missing.length
      }, lost ${fresh.missing.length + tally(puts, first.seen).missing.length}, duplicated ${
        tally(puts, first.seen).duplicates + fresh.duplicates
      }${reuse}`,
    );
    strictEqual(
      reprocessed.missing.length,
      puts.length,
      "nothing checkpointed was delivered again",
    );
    strictEqual(fresh.missing.length, 0);
    strictEqual(second.seen.length, 100);
    second.signal("SIGTERM");
    strictEqual(await second.exited, 0);
  });
}
