import { ok, strictEqual } from "node:assert/strict";
import {
  modeOf,
  PROCESS_MODES,
  report,
  ROOT,
  tally,
  uniqueName,
  until,
  World,
} from "./_harness.ts";

for (const mode of PROCESS_MODES) {
  Deno.test(`e2e [${mode}]: a processor that crashes mid-batch stops the daemon; after a restart every record after the last checkpoint comes again, none lost`, async () => {
    await using world = await World.start();
    const stream = uniqueName("crash");
    const application = uniqueName("app");
    await world.stream(stream, 1, application);
    const puts = await world.put(stream, 100, "e2e-4");
    const crashing = world.launch({
      stream,
      application,
      workerId: "worker-1",
      mode,
      processor: `${ROOT}/tests/fixtures/crashing_processor.ts`,
      env: { CRASH_AT: "57", RECORDS_PER_CHECKPOINT: "10" },
    });
    const code = await crashing.exited;
    ok(code !== 0, `the launcher exits non-zero (got ${code})`);
    ok(
      crashing.logs().some((r) =>
        r.level === "FATAL" && String(r.message).includes("cannot process record 57")
      ),
      "the child said why it stopped",
    );
    strictEqual(modeOf(crashing), mode, `the daemon ran the processor in ${mode} mode`);
    const leases = await world.leases(application);
    const checkpoint = leases[0]!.checkpoint;
    const index = puts.findIndex((p) => p.sequenceNumber === checkpoint);
    strictEqual(
      index,
      49,
      "the last checkpoint is at the 50th record (every 10, and not past the failure)",
    );
    strictEqual(crashing.seen.length, 57, "records 0..56 were processed before the crash");

    const restarted = world.launch({
      stream,
      application,
      workerId: "worker-1",
      mode,
      env: { CHECKPOINT_FREQ_SECONDS: "1" },
    });
    await until(
      () => tally(puts, [...crashing.seen, ...restarted.seen]).missing.length === 0,
      120_000,
      "every record processed",
    );
    const again = restarted.seen.map((s) => (s.value as { n: number }).n).sort((a, b) => a - b);
    strictEqual(again[0], 50, "the restart resumes right after the checkpoint");
    const union = tally(puts, [...crashing.seen, ...restarted.seen]);
    report(
      `e2e 4 [${mode}]: put ${puts.length}, crashed at record 57 (exit ${code}), checkpoint at record 49, restart seen ${restarted.seen.length} (from 50), lost ${union.missing.length}, delivered twice ${union.duplicates}`,
    );
    strictEqual(union.missing.length, 0);
    strictEqual(union.duplicates, 7, "records 50..56 came twice: at least once, never lost");
    restarted.signal("SIGTERM");
    strictEqual(await restarted.exited, 0);
  });
}
