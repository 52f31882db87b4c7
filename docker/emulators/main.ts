/**
 * The entry of the emulator container (`docker/emulators/Dockerfile`, the
 * `emulators` profile of docker-compose.yml): the local AWS that needs no
 * LocalStack token. It runs the emulators of the end-to-end tests under Node
 * (kinesis-mock from npm `kinesis-local`, and dynalite) listening on every
 * interface of the container, then creates the stream and the KCL lease table
 * (dynalite cannot add the index KCL 3.x needs later, so the table must exist
 * before the daemon starts), seeds one lease per shard (KCL then skips its
 * random 1-30 s wait on an empty table), and writes a marker file that the
 * healthcheck looks for.
 *
 * SIGTERM and SIGINT stop both emulators (exit 0); if either emulator exits,
 * the other is stopped and this exits 1. Data lives in memory only.
 *
 * Environment: `STREAM_NAME` (orders), `SHARD_COUNT` (4), `APPLICATION_NAME`
 * (orders-consumer: the lease table), `SEED_LEASES` (true), `KINESIS_PORT`
 * (4568), `DYNAMODB_PORT` (8000), `EMULATOR_HOST` (0.0.0.0), `READY_FILE`
 * (/tmp/kclts-emulators.ready).
 *
 * @module
 */

import {
  AwsServiceError,
  createLeaseTable,
  createStream,
  dynaliteArguments,
  kinesisMockEnvironment,
  listShards,
  listTables,
  seedLeases,
  type ShardInfo,
  waitFor,
  waitForStreamActive,
} from "../../src/local/emulators.ts";

/** The emulator container's settings. */
export interface EmulatorSettings {
  /** The stream to create. */
  stream: string;
  /** Its shard count. */
  shards: number;
  /** The KCL application, which names the lease table. */
  application: string;
  /** Whether to write one lease per shard. */
  seedLeases: boolean;
  /** The address both emulators listen on. */
  host: string;
  /** kinesis-mock's plain (HTTP/1.1 and h2c) port. */
  kinesisPort: number;
  /** dynalite's port. */
  dynamoPort: number;
  /** The file written once everything is ready. */
  readyFile: string;
}

function port(env: Readonly<Record<string, string | undefined>>, name: string, fallback: number) {
  const raw = env[name]?.trim() || String(fallback);
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65_535) {
    throw new RangeError(`${name} must be a TCP port: got "${raw}"`);
  }
  return value;
}

/**
 * Reads the settings from environment variables, with the defaults that
 * docker-compose.yml relies on.
 *
 * @param env The environment.
 * @returns The settings.
 * @throws {RangeError} If a value is malformed.
 */
export function settingsFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): EmulatorSettings {
  const rawShards = env.SHARD_COUNT?.trim() || "4";
  const shards = Number(rawShards);
  if (!Number.isInteger(shards) || shards < 1 || shards > 50) {
    throw new RangeError(`SHARD_COUNT must be a whole number from 1 to 50: got "${rawShards}"`);
  }
  const seed = (env.SEED_LEASES?.trim() || "true").toLowerCase();
  if (seed !== "true" && seed !== "false") {
    throw new RangeError(`SEED_LEASES must be true or false: got "${env.SEED_LEASES}"`);
  }
  const settings: EmulatorSettings = {
    stream: env.STREAM_NAME?.trim() || "orders",
    shards,
    application: env.APPLICATION_NAME?.trim() || "orders-consumer",
    seedLeases: seed === "true",
    host: env.EMULATOR_HOST?.trim() || "0.0.0.0",
    kinesisPort: port(env, "KINESIS_PORT", 4568),
    dynamoPort: port(env, "DYNAMODB_PORT", 8000),
    readyFile: env.READY_FILE?.trim() || "/tmp/kclts-emulators.ready",
  };
  // kinesis-mock also opens a TLS port (unused): KINESIS_PORT + 1.
  const { kinesisPort, dynamoPort } = settings;
  if (dynamoPort === kinesisPort || dynamoPort === kinesisPort + 1 || kinesisPort === 65_535) {
    throw new RangeError(
      "KINESIS_PORT + 1 (kinesis-mock's TLS port) must be a free port, and DYNAMODB_PORT another one",
    );
  }
  return settings;
}

/**
 * Creates what the processor needs before it starts: the stream (or waits
 * for it if it exists), the lease table with KCL 3.x's index, and, if asked,
 * one lease per shard.
 *
 * @param kinesisEndpoint The Kinesis endpoint.
 * @param dynamoEndpoint The DynamoDB endpoint.
 * @param settings Stream, shard count, application, seeding.
 * @returns The stream's shards.
 */
export async function prepare(
  kinesisEndpoint: string,
  dynamoEndpoint: string,
  settings: Pick<EmulatorSettings, "stream" | "shards" | "application" | "seedLeases">,
): Promise<ShardInfo[]> {
  try {
    await createStream(kinesisEndpoint, settings.stream, settings.shards);
  } catch (error) {
    if (!(error instanceof AwsServiceError && error.code === "ResourceInUseException")) throw error;
    await waitForStreamActive(kinesisEndpoint, settings.stream);
  }
  const shards = await listShards(kinesisEndpoint, settings.stream);
  await createLeaseTable(dynamoEndpoint, settings.application);
  if (settings.seedLeases) await seedLeases(dynamoEndpoint, settings.application, shards);
  return shards;
}

const encoder = new TextEncoder();

function log(message: string): void {
  let bytes = encoder.encode(`[emulators] ${message}\n`);
  while (bytes.length > 0) bytes = bytes.subarray(Deno.stderr.writeSync(bytes));
}

/**
 * The commands that start the two emulators, as the end-to-end tests start
 * them (src/local/emulators.ts), but on `settings.host`.
 *
 * @param settings The settings.
 * @param emulatorsDir The directory of `kinesis-mock.mjs`, `dynalite.mjs` and `node_modules`.
 * @returns Name, arguments for `node` and environment of each emulator.
 */
export function emulatorCommands(
  settings: EmulatorSettings,
  emulatorsDir: string,
): { name: string; args: string[]; env: Record<string, string> }[] {
  return [
    {
      name: "kinesis-mock",
      args: [`${emulatorsDir}/kinesis-mock.mjs`],
      env: {
        KCLTS_EMULATOR_HOST: settings.host,
        // The TLS port is required by kinesis-mock but unused; it is not published.
        ...kinesisMockEnvironment(
          settings.kinesisPort,
          settings.kinesisPort + 1,
          `${emulatorsDir}/node_modules/kinesis-local/server.json`,
        ),
      },
    },
    {
      name: "dynalite",
      args: [
        `${emulatorsDir}/dynalite.mjs`,
        ...dynaliteArguments(settings.host, settings.dynamoPort),
      ],
      env: {},
    },
  ];
}

async function run(settings: EmulatorSettings): Promise<number> {
  const emulatorsDir = decodeURIComponent(
    new URL("../../src/local/emulators", import.meta.url).pathname,
  );
  await Deno.remove(settings.readyFile).catch(() => {});
  const local = settings.host === "0.0.0.0" || settings.host === "::" ? "127.0.0.1" : settings.host;
  const kinesisEndpoint = `http://${local}:${settings.kinesisPort}`;
  const dynamoEndpoint = `http://${local}:${settings.dynamoPort}`;

  const children = emulatorCommands(settings, emulatorsDir).map(({ name, args, env }) => {
    const child = new Deno.Command("node", {
      args,
      cwd: emulatorsDir,
      env,
      stdin: "null",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
    return { name, child };
  });
  let stopping = false;
  const stopAll = async () => {
    stopping = true;
    await Deno.remove(settings.readyFile).catch(() => {});
    for (const { child } of children) {
      try {
        child.kill("SIGTERM");
      } catch {
        // already gone
      }
    }
    const killer = setTimeout(() => {
      for (const { child } of children) {
        try {
          child.kill("SIGKILL");
        } catch {
          // already gone
        }
      }
    }, 3_000);
    await Promise.all(children.map(({ child }) => child.status));
    clearTimeout(killer);
  };

  const stopped = new Promise<number>((resolve) => {
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      Deno.addSignalListener(signal, () => {
        log(`${signal}: stopping`);
        stopAll().then(() => resolve(0));
      });
    }
  });
  const crashed = Promise.race(
    children.map(({ name, child }) => child.status.then((status) => ({ name, status }))),
  ).then(async ({ name, status }) => {
    if (stopping) return new Promise<number>(() => {});
    log(`${name} exited (code ${status.code}); stopping`);
    await stopAll();
    return 1;
  });

  const ready = (async () => {
    await waitFor(
      async () => {
        const response = await fetch(`${kinesisEndpoint}/healthcheck`);
        await response.body?.cancel();
        return response.ok;
      },
      60_000,
      { intervalMs: 200, message: "kinesis-mock did not answer" },
    );
    await waitFor(async () => (await listTables(dynamoEndpoint), true), 60_000, {
      intervalMs: 200,
      message: "dynalite did not answer",
    });
    const shards = await prepare(kinesisEndpoint, dynamoEndpoint, settings);
    await Deno.writeTextFile(settings.readyFile, `${new Date().toISOString()}\n`);
    log(
      `ready: stream "${settings.stream}" (${shards.length} shards) on port ${settings.kinesisPort}, ` +
        `lease table "${settings.application}"${
          settings.seedLeases ? " (seeded)" : ""
        } on port ${settings.dynamoPort}`,
    );
    return new Promise<number>(() => {});
  })().catch(async (error) => {
    if (stopping) return new Promise<number>(() => {});
    log(`setup failed: ${(error as Error).message}`);
    await stopAll();
    return 1;
  });

  return await Promise.race([stopped, crashed, ready]);
}

if (import.meta.main) {
  let settings: EmulatorSettings;
  try {
    settings = settingsFromEnv(Deno.env.toObject());
  } catch (error) {
    log(`error: ${(error as Error).message}`);
    Deno.exit(2);
  }
  Deno.exit(await run(settings));
}
