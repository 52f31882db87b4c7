/**
 * The container template, run without Docker: the launcher gets exactly the
 * environment and command a processor container of docker-compose.yml gets
 * (the image's ENV, then the service's environment), with only what is
 * host-specific rewritten (the endpoints point at this test's emulators, the
 * /opt/kclts paths at the repository, plus PATH/HOME/JAVA_HOME and KCLTS_JAR
 * because the test runs `deno run processor.ts`, not the compiled binary).
 * The stream and lease table are made by the emulator container's own setup
 * code and the records by the producer service's code, with their services'
 * environments.
 *
 * @module
 */

import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import {
  type ComposeService,
  imageStage,
  readCompose,
  readDockerfile,
  stageEnv,
} from "../_docker.ts";
import { ROOT } from "../_util.ts";
import { prepare, settingsFromEnv } from "../../docker/emulators/main.ts";
import { produce, type ProducedRecord, producerConfig } from "../../src/local/producer.ts";
import { report, until, World } from "./_harness.ts";

const ENDPOINT_KEYS = ["KINESIS_ENDPOINT", "DYNAMODB_ENDPOINT"] as const;

/** Host variables a process needs outside a container (the image has its own). */
function hostPlumbing(): Record<string, string> {
  const env: Record<string, string> = { DENO_NO_UPDATE_CHECK: "1" };
  for (const name of ["PATH", "HOME", "JAVA_HOME", "DENO_DIR", "XDG_CACHE_HOME", "TMPDIR"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/** The image's ENV, then the service's environment: what the container starts with. */
async function containerEnvironment(service: ComposeService): Promise<Record<string, string>> {
  const dockerfile = await readDockerfile();
  const runtime = imageStage(dockerfile);
  return { ...Object.fromEntries(stageEnv(dockerfile, runtime)), ...service.environment };
}

Deno.test("container: the compose processor's exact environment, against the emulators, consumes the producer's records and lands checkpoints", async () => {
  const compose = await readCompose();
  const processorService = compose.services["processor-emulators"]!;
  const emulatorService = compose.services.emulators!;
  const producerService = compose.services["producer-emulators"]!;
  const containerEnv = await containerEnvironment(processorService);
  const command = processorService.command!;
  ok(command[0] === "launch", `the processor service runs the launcher: ${command.join(" ")}`);
  // The LocalStack processor differs only in its endpoints: this run covers it too.
  const localstackService = compose.services.processor!;
  const withoutEndpoints = (env: Record<string, string>) =>
    Object.fromEntries(
      Object.entries(env).filter(([key]) => !ENDPOINT_KEYS.some((k) => k === key)),
    );
  deepStrictEqual(
    withoutEndpoints(await containerEnvironment(localstackService)),
    withoutEndpoints(containerEnv),
  );
  deepStrictEqual(localstackService.command, command);

  await using world = await World.start();
  const rewritten: Record<string, string> = {
    KINESIS_ENDPOINT: world.emulators.kinesisEndpoint,
    DYNAMODB_ENDPOINT: world.emulators.dynamoEndpoint,
  };
  for (const key of ENDPOINT_KEYS) ok(containerEnv[key], `the service sets ${key}`);
  const env: Record<string, string> = {
    ...containerEnv,
    ...rewritten,
    ...hostPlumbing(),
    KCLTS_JAR: world.jar,
  };
  const args = command.map((arg) => arg.replaceAll("/opt/kclts/", `${ROOT}/`));
  for (const arg of args.filter((a) => a.startsWith("--config="))) {
    ok((await Deno.stat(arg.slice("--config=".length))).isFile, `${arg} exists`);
  }
  // Nothing else differs from the container's environment.
  const added = Object.keys(env).filter((key) => !(key in containerEnv)).sort();
  for (const key of added) {
    ok(key in hostPlumbing() || key === "KCLTS_JAR", `only host plumbing is added: ${key}`);
  }

  // The emulator container's setup, with its service's environment.
  const settings = settingsFromEnv(emulatorService.environment);
  strictEqual(settings.stream, env.STREAM_NAME);
  strictEqual(settings.application, env.APPLICATION_NAME);
  const shards = await prepare(
    world.emulators.kinesisEndpoint,
    world.emulators.dynamoEndpoint,
    settings,
  );
  strictEqual(shards.length, settings.shards);

  const launcher = world.launch({
    stream: settings.stream,
    application: settings.application,
    workerId: "",
    exact: { env, args },
  });

  // The producer service's code and settings; a bounded run.
  const config = producerConfig({
    ...producerService.environment,
    KINESIS_ENDPOINT: world.emulators.kinesisEndpoint,
  });
  strictEqual(config.stream, settings.stream);
  const count = Math.max(40, Math.round(config.ratePerSecond * 6));
  const puts: ProducedRecord[] = [];
  const summary = await produce({
    endpoint: config.endpoint,
    stream: config.stream,
    ratePerSecond: config.ratePerSecond,
    count,
    onPut: (records) => puts.push(...records),
    log: () => {},
  });
  strictEqual(summary.put, count);

  // Records flow: the template processor logs each batch ("Processed N records ...").
  const processed = () =>
    launcher.lines.reduce((sum, line) => {
      const match = / Processed (\d+) records /.exec(line);
      return sum + (match ? Number(match[1]) : 0);
    }, 0);
  await until(() => processed() >= count, 120_000, `${count} records processed`);

  // Checkpoints land: every lease reaches its shard's last record (CHECKPOINT_FREQ_SECONDS).
  const lastPerShard = new Map<string, string>();
  for (const put of puts) lastPerShard.set(put.shardId, put.sequenceNumber);
  const freq = Number(env.CHECKPOINT_FREQ_SECONDS ?? 60);
  const leases = await until(
    async () => {
      const leases = await world.leases(settings.application);
      return leases.every((l) =>
        !lastPerShard.has(l.leaseKey) || l.checkpoint === lastPerShard.get(l.leaseKey)
      ) && leases;
    },
    (freq + 30) * 1_000,
    "every lease checkpointed at its shard's last record",
  );
  deepStrictEqual(leases.map((l) => l.leaseKey).sort(), shards.map((s) => s.shardId).sort());

  // docker stop: SIGTERM to the launcher (tini's child); a graceful exit 0 in time, java gone.
  const java = await launcher.javaPid();
  const started = Date.now();
  launcher.signal("SIGTERM");
  const code = await launcher.exited;
  const seconds = (Date.now() - started) / 1_000;
  strictEqual(code, 0);
  const stopTimeout = Number(env.KCLTS_STOP_TIMEOUT_SECONDS);
  ok(seconds < stopTimeout, `stopped in ${seconds} s, within ${stopTimeout} s`);
  ok(seconds < processorService.stopGraceSeconds, "within the service's stop_grace_period");
  const javaGone = await Deno.stat(`/proc/${java}`).then(() => false, () => true);
  ok(javaGone, "the daemon's JVM has exited and was reaped");
  report(
    `container: put ${puts.length} over ${lastPerShard.size} shards, processed ${processed()}, ` +
      `checkpoints at the last records, SIGTERM to exit ${code} in ${seconds.toFixed(1)} s`,
  );
});
