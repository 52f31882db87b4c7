/**
 * kclts's local tools, one command each (`deno run -A jsr:@kclts/kclts/local <command>`, or
 * `deno run -A local.ts <command>` in a checkout):
 *
 * - `demo [processor.ts]`: the whole pipeline on this machine with any processor file;
 * - `emulators`: kinesis-mock and dynalite on 127.0.0.1, with a stream and its lease table,
 *   until Ctrl+C;
 * - `producer`: sample JSON orders into a stream of an emulator;
 * - `jar`: build (once) and print the path of `sylvite.jar`.
 *
 * Human output goes to stdout, logs to stderr.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { runDemo } from "./demo.ts";
import { EMULATOR_CREDENTIALS, EMULATOR_REGION, startEmulators } from "./emulators.ts";
import { ensureSylviteJar } from "./jar.ts";
import { prepareStream } from "./local_launch.ts";
import { localToolsCommand } from "./package.ts";
import { main as producerMain } from "./producer.ts";
import { writeAllSync } from "../transport/write_all.ts";

/** The default Kinesis port of `emulators` (that of the compose file's emulator service). */
export const KINESIS_PORT = 4568;
/** The default DynamoDB port of `emulators`. */
export const DYNAMODB_PORT = 8000;

/**
 * The usage text.
 *
 * @param command How the tools are run, e.g. `deno run -A jsr:@kclts/kclts/local`.
 * @returns The text.
 */
export function localUsage(command: string = localToolsCommand()): string {
  return `kclts local tools: run a processor on this machine, no AWS account needed.

Usage: ${command} <command> [options]

  demo [FILE] [--seconds N] [--shards N] [--rate N] [--hub]
      Starts the emulators, a stream (4 shards) and its lease table, launches FILE
      (default processor.ts) through the real KCL daemon with "FILE launch", puts
      --rate (20) sample orders per second and shows records put, processed and
      checkpointed per shard. Ctrl+C (or --seconds) stops everything cleanly.
      --hub: hub mode ("FILE launch --hub"), one process for every shard.
      properties/local.properties and properties/kcl.properties are taken from the
      current directory if there, else kclts's own.
  emulators [--stream NAME] [--shards N] [--application NAME] [--host ADDRESS]
            [--kinesis-port ${KINESIS_PORT}] [--dynamodb-port ${DYNAMODB_PORT}] [--ready-file FILE]
      Starts kinesis-mock and dynalite on --host (127.0.0.1), creates the stream
      (orders, 4 shards) and the lease table of the application (orders-consumer,
      with KCL 3.x's index and one lease per shard), writes --ready-file, prints
      the environment for "launch", and runs until Ctrl+C. Defaults also come from
      STREAM_NAME, SHARD_COUNT, APPLICATION_NAME, EMULATOR_HOST, KINESIS_PORT,
      DYNAMODB_PORT and READY_FILE (as docker-compose.yml sets them).
  producer
      Puts sample JSON orders into a stream until Ctrl+C. Environment:
      KINESIS_ENDPOINT (http://127.0.0.1:${KINESIS_PORT}), STREAM_NAME (orders),
      RECORDS_PER_SECOND (10), RECORD_COUNT (0: until stopped).
  jar
      Builds sylvite.jar (the KCL daemon) with Maven if needed and prints its path:
      sylvite/target/ in a kclts checkout, else ~/.cache/kclts/<version>/, where the
      launcher finds it. KCLTS_CACHE_DIR moves the cache; KCLTS_JAR skips the build.

Needs Deno, a JDK 17+ and Maven (for the jar); Node.js, if present, runs the emulators.
`;
}

function out(text: string): void {
  writeAllSync(Deno.stdout, text);
}

function err(text: string): void {
  writeAllSync(Deno.stderr, text);
}

function count(name: string, raw: string | undefined, fallback: number, max = Infinity): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new RangeError(`--${name} must be a whole number from 1 to ${max}: got "${raw}"`);
  }
  return value;
}

async function emulators(args: string[]): Promise<number> {
  const env = Deno.env.toObject();
  const { values } = parseArgs({
    args,
    options: {
      stream: { type: "string", default: env.STREAM_NAME || "orders" },
      shards: { type: "string", default: env.SHARD_COUNT || "4" },
      application: { type: "string", default: env.APPLICATION_NAME || "orders-consumer" },
      "kinesis-port": { type: "string", default: env.KINESIS_PORT || String(KINESIS_PORT) },
      "dynamodb-port": { type: "string", default: env.DYNAMODB_PORT || String(DYNAMODB_PORT) },
      host: { type: "string", default: env.EMULATOR_HOST || "127.0.0.1" },
      "ready-file": { type: "string", default: env.READY_FILE },
    },
    strict: true,
    allowPositionals: false,
  });
  const shards = count("shards", values.shards, 4, 50);
  const kinesisPort = count("kinesis-port", values["kinesis-port"], KINESIS_PORT, 65_535);
  const dynamoPort = count("dynamodb-port", values["dynamodb-port"], DYNAMODB_PORT, 65_535);
  const readyFile = values["ready-file"];
  const stopped = Promise.withResolvers<void>();
  const stop = () => stopped.resolve();
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
  try {
    await using running = await startEmulators({ kinesisPort, dynamoPort, host: values.host });
    await prepareStream(running, values.stream, shards, values.application);
    if (readyFile) await Deno.writeTextFile(readyFile, `${new Date().toISOString()}\n`);
    out(
      `kinesis-mock and dynalite are running; stream ${values.stream} (${shards} shards), lease table ${values.application}.

Launch a processor against them (in a project made by kclts's init):
  STREAM_NAME=${values.stream} APPLICATION_NAME=${values.application} \\
  KINESIS_ENDPOINT=${running.kinesisEndpoint} DYNAMODB_ENDPOINT=${running.dynamoEndpoint} \\
  AWS_REGION=${EMULATOR_REGION} AWS_ACCESS_KEY_ID=${EMULATOR_CREDENTIALS.accessKeyId} \\
  AWS_SECRET_ACCESS_KEY=${EMULATOR_CREDENTIALS.secretAccessKey} \\
  deno task launch --config=properties/local.properties
Put records:
  KINESIS_ENDPOINT=${running.kinesisEndpoint} STREAM_NAME=${values.stream} ${localToolsCommand()} producer

Ctrl+C stops the emulators (their data lives in memory only).
`,
    );
    await stopped.promise;
    err("stopping the emulators\n");
    if (readyFile) await Deno.remove(readyFile).catch(() => {});
  } finally {
    Deno.removeSignalListener("SIGINT", stop);
    Deno.removeSignalListener("SIGTERM", stop);
  }
  return 0;
}

async function demo(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      seconds: { type: "string" },
      shards: { type: "string" },
      rate: { type: "string" },
      hub: { type: "boolean", default: false },
    },
    strict: true,
    allowPositionals: true,
  });
  if (positionals.length > 1) {
    throw new RangeError(`demo takes one processor file: got ${positionals.join(" ")}`);
  }
  const file = positionals[0] ?? "processor.ts";
  const processor = file.startsWith("/") ? file : `${Deno.cwd()}/${file}`;
  try {
    if (!Deno.statSync(processor).isFile) throw new Error();
  } catch {
    throw new RangeError(`No processor file at ${processor}: give one, e.g. demo processor.ts`);
  }
  const options: Parameters<typeof runDemo>[0] = {
    processor,
    shards: count("shards", values.shards, 4, 50),
    rate: count("rate", values.rate, 20, 1_000),
    hub: values.hub,
  };
  if (values.seconds !== undefined) options.seconds = count("seconds", values.seconds, 0);
  return await runDemo(options);
}

/**
 * Runs one of the local tools.
 *
 * @param args The command and its arguments.
 * @returns The exit code.
 */
export async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  try {
    switch (command) {
      case "demo":
        return await demo(rest);
      case "emulators":
        return await emulators(rest);
      case "producer": {
        const env = Deno.env.toObject();
        return await producerMain(rest, {
          ...env,
          KINESIS_ENDPOINT: env.KINESIS_ENDPOINT ?? `http://127.0.0.1:${KINESIS_PORT}`,
        });
      }
      case "jar":
        out(`${await ensureSylviteJar()}\n`);
        return 0;
      case undefined:
      case "help":
      case "--help":
      case "-h":
        out(localUsage());
        return command === undefined ? 2 : 0;
      default:
        err(`Unknown command "${command}".\n\n${localUsage()}`);
        return 2;
    }
  } catch (error) {
    err(`kclts ${command}: error: ${(error as Error).message}\n`);
    return command === "demo" || command === "emulators" ? 2 : 1;
  }
}
