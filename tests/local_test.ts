/**
 * kclts's local tools as a user runs them (`deno run -A local.ts <command>`, published as
 * `jsr:@kclts/kclts/local`): `emulators` with a stream and its lease table, `producer` into it,
 * `jar`, and their errors. `demo` is run end to end by tests/e2e/demo_test.ts and
 * tests/e2e/scaffold_test.ts.
 *
 * @module
 */

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { listShards, scanLeases } from "../src/local/emulators.ts";
import { freePort, ROOT } from "./_util.ts";

const decoder = new TextDecoder();

function local(args: string[], env: Record<string, string> = {}): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}/local.ts`, ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test("local emulators: a stream and its seeded lease table, the environment for launch; local producer puts into it; Ctrl+C stops", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kclts-local-" });
  const readyFile = `${dir}/ready`;
  const kinesisPort = freePort();
  const dynamoPort = freePort();
  const emulators = local([
    "emulators",
    "--stream=local-test",
    "--shards=2",
    "--application=local-app",
    `--kinesis-port=${kinesisPort}`,
    `--dynamodb-port=${dynamoPort}`,
    `--ready-file=${readyFile}`,
  ]).spawn();
  const stdout = new Response(emulators.stdout).text();
  const stderr = new Response(emulators.stderr).text();
  try {
    const deadline = Date.now() + 90_000;
    while (!(await exists(readyFile))) {
      ok(Date.now() < deadline, "not ready within 90 s");
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const kinesis = `http://127.0.0.1:${kinesisPort}`;
    const shards = await listShards(kinesis, "local-test");
    strictEqual(shards.length, 2);
    const leases = await scanLeases(`http://127.0.0.1:${dynamoPort}`, "local-app");
    deepStrictEqual(
      leases.map((l) => [l.leaseKey, l.checkpoint]),
      shards.map((s) => [s.shardId, "TRIM_HORIZON"]),
    );

    const producer = await local(["producer"], {
      KINESIS_ENDPOINT: kinesis,
      STREAM_NAME: "local-test",
      RECORD_COUNT: "25",
      RECORDS_PER_SECOND: "200",
    }).output();
    const produced = decoder.decode(producer.stderr);
    strictEqual(producer.code, 0, produced);
    ok(produced.includes("stopped after 25 records"), produced);
  } finally {
    emulators.kill("SIGINT");
  }
  const status = await emulators.status;
  const text = await stdout;
  await stderr;
  strictEqual(status.code, 0);
  ok(text.includes(`KINESIS_ENDPOINT=http://127.0.0.1:${kinesisPort}`), text);
  ok(text.includes(`DYNAMODB_ENDPOINT=http://127.0.0.1:${dynamoPort}`), text);
  ok(text.includes("deno task launch --config=properties/local.properties"), text);
  ok(!(await exists(readyFile)), "the ready file is removed on stop");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("local jar prints the jar; --help lists the commands; bad commands and files are errors", async () => {
  const jar = await local(["jar"], { KCLTS_JAR: `${ROOT}/deno.json` }).output();
  strictEqual(jar.code, 0);
  strictEqual(decoder.decode(jar.stdout), `${ROOT}/deno.json\n`);
  const missing = await local(["jar"], { KCLTS_JAR: "/nonexistent/sylvite.jar" }).output();
  strictEqual(missing.code, 1);
  ok(decoder.decode(missing.stderr).includes("KCLTS_JAR names a file that does not exist"));
  const help = await local(["--help"]).output();
  strictEqual(help.code, 0);
  for (const command of ["demo [FILE]", "emulators", "producer", "jar"]) {
    ok(decoder.decode(help.stdout).includes(`  ${command}`), command);
  }
  const unknown = await local(["deploy"]).output();
  strictEqual(unknown.code, 2);
  ok(decoder.decode(unknown.stderr).includes('Unknown command "deploy"'));
  const noFile = await local(["demo", "nope.ts"]).output();
  strictEqual(noFile.code, 2);
  ok(decoder.decode(noFile.stderr).includes(`No processor file at ${ROOT}/nope.ts`));
});
