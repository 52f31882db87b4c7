import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { lastPerShard, report, uniqueName, until, World } from "./_harness.ts";

/** Whether a process ignores a signal (its `SigIgn` mask in /proc). */
async function ignores(pid: number, signalNumber: number): Promise<boolean> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const mask = BigInt(`0x${status.match(/^SigIgn:\s*([0-9a-f]+)$/m)![1]}`);
  return (mask & (1n << BigInt(signalNumber - 1))) !== 0n;
}

Deno.test("e2e: SIGINT to a launcher started with SIGINT ignored (a script's background job) still shuts the daemon down gracefully, logged, exit 0", async () => {
  await using world = await World.start();
  const stream = uniqueName("sigint");
  const application = uniqueName("app");
  await world.stream(stream, 2, application);
  const env = { CHECKPOINT_FREQ_SECONDS: "0", RECORDS_PER_CHECKPOINT: "0" };
  const launcher = world.launch({
    stream,
    application,
    workerId: "worker-1",
    env,
    sigintIgnored: true,
  });
  const puts = await world.put(stream, 100, "sigint");
  await until(() => launcher.seen.length >= 100, 120_000, "100 records processed");
  const java = await launcher.javaPid();
  ok(await ignores(java, 2), "the JVM inherited SIGINT as ignored (the premise of this test)");

  const started = Date.now();
  launcher.signal("SIGINT");
  let timer: ReturnType<typeof setTimeout> | undefined;
  const code = await Promise.race([
    launcher.exited,
    new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve("still running after 30 s"), 30_000);
    }),
  ]);
  clearTimeout(timer);
  const seconds = (Date.now() - started) / 1000;
  report(
    `e2e sigint: put ${puts.length}, seen ${launcher.seen.length}, exit ${code} after ${
      seconds.toFixed(1)
    } s`,
  );
  strictEqual(code, 0);
  ok(
    launcher.lines.some((l) =>
      l.includes("processor: received SIGINT: asking the daemon to shut down gracefully")
    ),
    "the launcher logs the signal it received",
  );
  ok(
    launcher.logs().some((r) => r.logger === "kclts.session" && r.message === "Shutdown requested"),
    "the children got shutdownRequested",
  );
  deepStrictEqual(
    await world.checkpoints(application),
    lastPerShard(puts),
    "each lease checkpointed at its last record during the graceful shutdown",
  );
});
