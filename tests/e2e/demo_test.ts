import { ok, strictEqual } from "node:assert/strict";
import { PROCESS_MODES, report, ROOT } from "./_harness.ts";

async function running(pattern: string): Promise<number[]> {
  const pids: number[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const cmdline = await Deno.readTextFile(`/proc/${entry.name}/cmdline`).catch(() => "");
    // This checkout's processes only: other checkouts may run their tests at the same time.
    if (cmdline.includes(pattern) && cmdline.includes(ROOT)) pids.push(Number(entry.name));
  }
  return pids;
}

for (const mode of PROCESS_MODES) {
  Deno.test(`e2e [${mode}]: deno task demo${mode === "hub" ? " --hub" : ""} runs the pipeline, and SIGINT (Ctrl+C) stops everything cleanly`, async () => {
    const before = [
      ...await running("kinesis-mock.mjs"),
      ...await running("dynalite.mjs"),
      ...await running("sylvite.jar"),
      ...await running("processor.ts"),
    ];
    const demo = new Deno.Command(Deno.execPath(), {
      args: ["task", "demo", ...(mode === "hub" ? ["--hub"] : [])],
      cwd: ROOT,
      env: { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const output = new Response(demo.stdout).text();
    const errors = new Response(demo.stderr).text();
    // Let it run: the daemon starts, records flow, checkpoints land.
    await new Promise((resolve) => setTimeout(resolve, 30_000));
    demo.kill("SIGINT");
    const status = await demo.status;
    const text = await output;
    await errors;
    strictEqual(status.code, 0, text);
    ok(text.includes("stopping (Ctrl+C)"), text);
    const summary = text.match(
      /put (\d+), processed (\d+), not processed (\d+), processed twice (\d+); daemon exit code (\d+)/,
    );
    ok(summary, text);
    const [, put, processed, missing, twice, daemon] = summary.map(Number);
    ok(put! > 100, `put ${put}`);
    strictEqual(missing, 0);
    strictEqual(daemon, 0);
    ok(text.includes("✓"), "checkpoints reached the last records");
    ok(
      text.includes(
        mode === "hub"
          ? "hub mode: 1 processor process (the hub) + 4 socat relays"
          : "a process per shard: 4 processor processes",
      ),
      "the demo shows how the processor runs",
    );
    const after = [
      ...await running("kinesis-mock.mjs"),
      ...await running("dynalite.mjs"),
      ...await running("sylvite.jar"),
      ...await running("processor.ts"),
    ].filter((pid) => !before.includes(pid));
    strictEqual(after.length, 0, `processes left: ${after.join(", ")}`);
    report(
      `demo [${mode}]: put ${put}, processed ${processed}, not processed ${missing}, twice ${twice}, exit 0, no process left`,
    );
  });
}
