import { ok, strictEqual } from "node:assert/strict";
import { Feed, modeOf, report, tally, uniqueName, until, World } from "./_harness.ts";
import { runtimeFlags } from "../../src/runtime/permissions.ts";

function alive(pid: number): boolean {
  try {
    return !Deno.readTextFileSync(`/proc/${pid}/stat`).includes(") Z ");
  } catch {
    return false;
  }
}

Deno.test("e2e [hub]: the hub killed with SIGKILL while records flow → the daemon and the launcher exit non-zero; after a restart nothing is lost", async () => {
  await using world = await World.start();
  const stream = uniqueName("hubkill");
  const application = uniqueName("app");
  await world.stream(stream, 2, application);
  const env = { CHECKPOINT_FREQ_SECONDS: "1" };
  const first = world.launch({ stream, application, workerId: "worker-1", env, mode: "hub" });
  const feed = new Feed(world, stream, "e2e-hubkill");
  const puts = feed.puts;
  feed.flow(20, 100);
  await until(() => first.seen.length >= 200, 120_000, "200 records processed");
  // Let a time-based checkpoint land on every shard, so that the restart has one to resume from.
  await until(
    async () => (await world.leases(application)).every((l) => /^[0-9]+$/.test(l.checkpoint ?? "")),
    60_000,
    "a checkpoint stored on every shard",
  );
  await new Promise((resolve) => setTimeout(resolve, 2000)); // records keep flowing, checkpoints advance
  strictEqual(modeOf(first), "hub");
  const hub = await first.hubPid();
  // The launcher runs the hub with the hub's V8 flags (a 16 MiB young generation), not a child's.
  const hubWords = Deno.readTextFileSync(`/proc/${hub}/cmdline`).split("\0");
  ok(hubWords.includes(runtimeFlags("hub").at(-1)!), hubWords.join(" "));
  const java = await first.javaPid();
  const killed = Date.now();
  Deno.kill(hub, "SIGKILL");
  const code = await first.exited;
  const seconds = (Date.now() - killed) / 1000;
  ok(code !== 0, `the launcher exits non-zero (got ${code})`);
  ok(!alive(java), "the daemon is gone too");
  ok(
    first.lines.some((l) => l.includes("the hub exited (killed by SIGKILL)")),
    "the launcher says the hub died",
  );
  await feed.stop();
  await feed.put(50);
  // Nothing was checkpointed past what the hub processed.
  const checkpoints = new Map(
    (await world.leases(application)).map((l) => [l.leaseKey, BigInt(l.checkpoint!)]),
  );
  const processed = new Set(first.seen.map((s) => `${s.shardId}/${s.sequenceNumber}`));
  const uncovered = puts.filter((p) =>
    BigInt(p.sequenceNumber) <= checkpoints.get(p.shardId)! &&
    !processed.has(`${p.shardId}/${p.sequenceNumber}`)
  );
  strictEqual(uncovered.length, 0, "every checkpointed record had been processed");

  const second = world.launch({ stream, application, workerId: "worker-1", env, mode: "hub" });
  await until(
    () => tally(puts, [...first.seen, ...second.seen]).missing.length === 0,
    120_000,
    "every record processed after the restart",
  );
  const union = tally(puts, [...first.seen, ...second.seen]);
  ok(
    second.seen.every((s) => BigInt(s.sequenceNumber) > checkpoints.get(s.shardId)!),
    "the restart resumed after each shard's checkpoint",
  );
  report(
    `e2e hub-kill: put ${puts.length}, seen ${first.seen.length} before the SIGKILL; launcher exit ${code} ${
      seconds.toFixed(1)
    } s after it; restart seen ${second.seen.length}; lost ${union.missing.length}, delivered twice ${union.duplicates}`,
  );
  strictEqual(union.missing.length, 0);
  strictEqual(union.wrongContent, 0);
  second.signal("SIGTERM");
  strictEqual(await second.exited, 0);
});
