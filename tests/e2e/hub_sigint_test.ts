import { deepStrictEqual, strictEqual } from "node:assert/strict";
import { forEachLine, localLaunch } from "../../src/local/local_launch.ts";
import { lastPerShard, report, ROOT, TEMPLATE, uniqueName, until, World } from "./_harness.ts";

Deno.test("e2e [hub]: Ctrl+C in a terminal (SIGINT to the whole process group, relays included) still runs the graceful shutdown: each lease checkpointed at its last record, exit 0", async () => {
  await using world = await World.start();
  const stream = uniqueName("sigint");
  const application = uniqueName("app");
  await world.stream(stream, 2, application);
  const launch = localLaunch({
    emulators: world.emulators,
    jar: world.jar,
    processor: TEMPLATE,
    stream,
    application,
    workerId: "worker-1",
    // Only the shutdown checkpoint.
    env: { CHECKPOINT_FREQ_SECONDS: "0", RECORDS_PER_CHECKPOINT: "0" },
    args: ["--hub"],
  });
  // A process group of its own, as a terminal gives a foreground job.
  const launcher = new Deno.Command(Deno.execPath(), {
    args: launch.args,
    env: launch.env,
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    detached: true,
  }).spawn();
  let seen = 0;
  const lines: string[] = [];
  const onLine = (line: string) => {
    lines.push(line);
    if (line.includes('"logger":"processor"') && line.includes('"sequenceNumber"')) seen++;
  };
  const pump = Promise.all([
    forEachLine(launcher.stdout, onLine),
    forEachLine(launcher.stderr, onLine),
  ]);
  try {
    const puts = await world.put(stream, 100, "e2e-sigint");
    await until(() => seen >= 100, 120_000, "100 records processed");
    // Ctrl+C: the kernel sends SIGINT to every process of the foreground group.
    Deno.kill(-launcher.pid, "SIGINT");
    const status = await launcher.status;
    await pump;
    const last = lastPerShard(puts);
    const leases = await world.leases(application);
    report(
      `e2e hub-sigint: put ${puts.length}, seen ${seen}, exit ${status.code}; leases ${
        leases.map((l) =>
          `${l.leaseKey}=${l.checkpoint === last.get(l.leaseKey) ? "last" : l.checkpoint}`
        )
          .join(" ")
      }`,
    );
    strictEqual(status.code, 0, lines.slice(-20).join("\n"));
    deepStrictEqual(
      new Map(leases.map((l) => [l.leaseKey, l.checkpoint])),
      last,
      "the relays outlived the SIGINT: shutdownRequested checkpointed each shard's last record",
    );
  } finally {
    try {
      Deno.kill(-launcher.pid, "SIGKILL");
    } catch {
      // gone
    }
    await launcher.status;
    await pump.catch(() => {});
  }
});
