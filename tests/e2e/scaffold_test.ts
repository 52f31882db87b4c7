/**
 * The proof of `init`: a project scaffolded with `--from` this checkout runs
 * its own `deno task test`, its own `deno task provision` creates KCL's
 * tables, and its own `deno task launch` consumes a stream
 * end to end through the real KCL daemon on the local emulators; its
 * `deno task demo` runs the newcomer's pipeline, and `deno task demo FILE`
 * any processor file; the jar is built from the published pom into the cache. `deno task compile` and
 * `docker build` cannot run here (no denort download, no Docker engine):
 * tests/scaffold_test.ts checks that they run the tested task and flags.
 *
 * @module
 */

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import {
  assertEachSeenOnce,
  lastPerShard,
  report,
  ROOT,
  uniqueName,
  until,
  World,
} from "./_harness.ts";
import { servePublished } from "../_published.ts";
import { run } from "../_util.ts";
import { ensureSylviteJar } from "../../src/local/jar.ts";
import { createStream, listTables } from "../../src/local/emulators.ts";

function deno(args: string[], cwd: string, env: Record<string, string> = {}) {
  return run(Deno.execPath(), {
    args,
    cwd,
    env: { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1", ...env },
  });
}

/** Command lines of the running shard processes of a processor file (not its launcher). */
async function childCommands(processor: string): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const words = (await Deno.readTextFile(`/proc/${entry.name}/cmdline`).catch(() => ""))
      .split("\0").filter(Boolean);
    if (words.includes(processor) && !words.includes("launch")) found.push(words.join(" "));
  }
  return found;
}

async function scaffold(): Promise<{ dir: string; project: string }> {
  const dir = await Deno.makeTempDir({ prefix: "kclts-scaffold-" });
  const init = await deno(["run", "-A", `${ROOT}/init.ts`, "proof-consumer", "--from", ROOT], dir);
  strictEqual(init.code, 0, init.stderr);
  ok(init.stdout.includes("deno task demo"), init.stdout);
  ok(init.stdout.includes('remove "links" before docker build'), init.stdout);
  return { dir, project: `${dir}/proof-consumer` };
}

Deno.test("e2e: a scaffolded project passes its own tests, creates KCL's tables with its own provision, and its own launcher consumes a stream through the real daemon", async () => {
  const { dir, project } = await scaffold();
  try {
    // Its own tests (processor_test.ts, the test kit).
    const test = await deno(["task", "test"], project);
    strictEqual(test.code, 0, test.stdout + test.stderr);
    ok(/ok \| 2 passed \| 0 failed/.test(test.stdout), test.stdout);

    await using world = await World.start();
    const stream = uniqueName("scaffold");
    const application = uniqueName("scaffold-app");
    const { kinesisEndpoint, dynamoEndpoint } = world.emulators;
    await createStream(kinesisEndpoint, stream, 2);
    const puts = await world.put(stream, 400, "scaffold");

    // Its own `deno task provision` creates KCL's three tables before the first worker starts.
    const env = {
      ...world.emulators.daemonEnv,
      STREAM_NAME: stream,
      APPLICATION_NAME: application,
      KINESIS_ENDPOINT: kinesisEndpoint,
      DYNAMODB_ENDPOINT: dynamoEndpoint,
    };
    const provisioned = await deno(
      ["task", "provision", "--config=properties/local.properties", "--tag=team=proof"],
      project,
      env,
    );
    strictEqual(provisioned.code, 0, provisioned.stdout + provisioned.stderr);
    const tables = await listTables(dynamoEndpoint);
    for (const suffix of ["", "-CoordinatorState", "-WorkerMetricStats"]) {
      ok(tables.includes(`${application}${suffix}`), `${application}${suffix} in ${tables}`);
    }

    // Its own launcher: `deno task launch`, run where the project is, with the project's
    // properties/; the jar is found by the launcher (the linked checkout's Maven build). The lease
    // table is empty: KCL 3.x syncs the shards after its random 1-30 s wait.
    const launcher = world.launch({
      stream,
      application,
      workerId: "scaffold-worker",
      env: { CHECKPOINT_FREQ_SECONDS: "1" },
      task: { args: ["task", "launch", "--config=properties/local.properties"], cwd: project },
    });
    await until(() => launcher.seen.length >= puts.length, 120_000, "every record processed");
    strictEqual(lastPerShard(puts).size, 2, "the records went to both shards");
    const leases = await world.checkpointedAtLast(
      application,
      puts,
      60_000,
      "every lease checkpointed at its shard's last record",
    );
    strictEqual(leases.length, 2);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const result = assertEachSeenOnce(puts, launcher.seen);
    // The daemon runs the project's processor.ts (its executableName), one child per shard.
    const children = await childCommands(`${project}/processor.ts`);
    strictEqual(children.length, 2, children.join("\n"));
    launcher.signal("SIGTERM");
    strictEqual(await launcher.exited, 0);
    report(
      `scaffold: deno task test 2 passed; deno task provision: 3 tables; deno task launch: put ${puts.length}, processed ${launcher.seen.length}, lost ${result.missing.length}, duplicated ${result.duplicates}, ${leases.length} leases at their last record`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("e2e: the newcomer's path: init, then `deno task demo` runs the project's processor.ts through the real daemon", async () => {
  const { dir, project } = await scaffold();
  try {
    const demo = await deno(["task", "demo", "--seconds", "20", "--shards", "2"], project);
    strictEqual(demo.code, 0, demo.stdout + demo.stderr);
    ok(demo.stdout.includes("→ processor.ts"), demo.stdout);
    const summary = demo.stdout.match(
      /put (\d+), processed (\d+), not processed (\d+), processed twice (\d+); daemon exit code (\d+); checkpointed (\d+)/,
    );
    ok(summary, demo.stdout);
    const [, put, processed, missing, , daemon, checkpointed] = summary.map(Number);
    ok(put! > 50, `put ${put}`);
    strictEqual(missing, 0);
    strictEqual(processed, put);
    strictEqual(daemon, 0);
    strictEqual(checkpointed, put, "the final checkpoints cover every record put");
    report(`scaffold demo: put ${put}, processed ${processed}, checkpointed ${checkpointed}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A processor of the user's own, in another file: batch API, no log line per record. */
const ORDERS = `import { type BatchProcessor, start } from "@kclts/kclts";

const processor: BatchProcessor = {
  async processRecords({ records, checkpointer }) {
    for (const record of records) record.json<{ id: string }>();
    if (records.length > 0) await checkpointer.checkpoint();
  },
};

await start(processor);
`;

Deno.test("e2e: a scaffolded project's `deno task demo FILE` runs any processor file through the real daemon and stops by itself", async () => {
  const { dir, project } = await scaffold();
  try {
    await Deno.writeTextFile(`${project}/orders.ts`, ORDERS);
    const demo = await deno(
      ["task", "demo", "orders.ts", "--seconds", "20", "--shards", "2"],
      project,
    );
    strictEqual(demo.code, 0, demo.stdout + demo.stderr);
    ok(demo.stdout.includes("→ orders.ts"), demo.stdout);
    // No per-record log lines: the demo counts what the checkpoints in DynamoDB cover.
    const summary = demo.stdout.match(
      /put (\d+), checkpointed (\d+) \(orders\.ts logs no per-record line.*; daemon exit code (\d+)/,
    );
    ok(summary, demo.stdout);
    const [, put, checkpointed, daemon] = summary.map(Number);
    ok(put! > 50, `put ${put}`);
    strictEqual(checkpointed, put, "the checkpoints cover every record put");
    strictEqual(daemon, 0);
    report(`scaffold demo orders.ts: put ${put}, checkpointed ${checkpointed}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("e2e: from JSR (a stand-in serving the published files), the daemon's jar is built with Maven into kclts's cache", async () => {
  await using server = await servePublished();
  const cache = await Deno.makeTempDir({ prefix: "kclts-jar-cache-" });
  try {
    const started = performance.now();
    const jar = await ensureSylviteJar({ env: { KCLTS_CACHE_DIR: cache }, root: server.root });
    const seconds = (performance.now() - started) / 1000;
    strictEqual(jar, `${cache}/sylvite.jar`);
    // The same jar as this checkout's Maven build: the same classes and resources.
    const entries = async (path: string) => {
      const { code, stdout, stderr } = await run("jar", { args: ["tf", path] });
      strictEqual(code, 0, stderr);
      return stdout.split("\n").filter(Boolean).sort();
    };
    const built = await entries(jar);
    ok(built.includes("software/amazon/kinesis/multilang/MultiLangDaemon.class"));
    deepStrictEqual(built, await entries(await ensureSylviteJar({ env: {} })));
    // Built once: the second call finds it.
    const again = performance.now();
    strictEqual(
      await ensureSylviteJar({ env: { KCLTS_CACHE_DIR: cache }, root: server.root }),
      jar,
    );
    ok(performance.now() - again < 1_000);
    report(`jar from the published pom: ${built.length} entries, built in ${seconds.toFixed(1)} s`);
  } finally {
    await Deno.remove(cache, { recursive: true });
  }
});
