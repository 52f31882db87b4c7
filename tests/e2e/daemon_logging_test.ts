/**
 * The daemon's logging configuration (sylvite/src/main/resources/logback.xml) as the jar applies it:
 * periodic INFO lines that say nothing are quiet, everything else stays.
 */
import { deepStrictEqual } from "node:assert/strict";
import { ensureSylviteJar } from "../../src/local/jar.ts";

// Logs through the daemon's loggers the lines KCL 3.1.3 writes periodically: Scheduler's
// SchedulerLog ("Sleeping ..." and the assignments, once a minute, as log.info("{}", message)),
// DiagnosticEventLogger (the executor's state every 30 s at INFO, rejected tasks at ERROR).
const PROGRAM = `
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

public class Emit {
  public static void main(String[] args) {
    Logger scheduler = LoggerFactory.getLogger("software.amazon.kinesis.coordinator.Scheduler");
    Logger diagnostic = LoggerFactory.getLogger("software.amazon.kinesis.coordinator.DiagnosticEventLogger");
    scheduler.info("{}", "Sleeping ...");
    scheduler.info("{}", "Current stream shard assignments: shardId-000000000000");
    scheduler.info("Initializing LeaseCoordinator attempt {}", 1);
    scheduler.warn("{}", "Sleeping ...");
    diagnostic.info("Current thread pool executor state: [ExecutorStateEvent(activeThreads=2)]");
    diagnostic.error("Review your thread configuration to prevent task rejections.");
  }
}
`;

Deno.test('the daemon\'s periodic "Sleeping ..." and executor-state lines are quiet at INFO; other lines and warnings stay', async () => {
  const jar = await ensureSylviteJar();
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/Emit.java`, PROGRAM);
    const output = await new Deno.Command("java", {
      args: ["-cp", jar, `${dir}/Emit.java`],
      env: { SYLVITE_LOG_LEVEL: "INFO" },
      stdin: "null",
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    const messages = stderr.split("\n").filter((l) => l !== "").map((line) =>
      line.replace(/^\S+ (\w+) +\[[^\]]*\] \S+ - /, "$1 ")
    );
    deepStrictEqual(messages, [
      "INFO Current stream shard assignments: shardId-000000000000",
      "INFO Initializing LeaseCoordinator attempt 1",
      "WARN Sleeping ...",
      "ERROR Review your thread configuration to prevent task rejections.",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
